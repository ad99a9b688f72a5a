using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// The docs the release tarball ships, read as a technician reads them in the unpacked tarball:
/// deploy/README.md sent them to hardware/WIRING.md and office/README.md, which the tarball
/// lacked, and to docs/ files only the repository has, without saying so.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed partial class ReleaseDocsTests(ReleaseFixture release)
{
    [Fact]
    public async Task Every_link_in_the_tarballs_docs_resolves_in_the_tarball_or_says_it_is_in_the_repository()
    {
        var files = await ReadTarballAsync(release.Tarball);
        var docs = files.Keys.Where(f => f.EndsWith(".md", StringComparison.Ordinal) && !f.StartsWith("app/", StringComparison.Ordinal)).ToList();
        Assert.Contains("deploy/README.md", docs);
        var problems = new List<string>();

        foreach (var doc in docs)
        {
            var text = files[doc]!;
            foreach (Match link in Link().Matches(text))
            {
                var target = link.Groups["target"].Value;
                var anchor = link.Groups["anchor"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var where = $"{doc}: ({link.Groups["target"].Value}{anchor})";
                var path = target.Length == 0 ? doc : Resolve(doc, target);
                // Both readers: the tarball keeps the repository's layout for what it ships, so a
                // link must also hold in the repository.
                if (!File.Exists(Path.Combine(Scripts.RepoRoot, path)) && !Directory.Exists(Path.Combine(Scripts.RepoRoot, path)))
                {
                    problems.Add($"{where}: no {path} in the repository");
                }
                else if (files.TryGetValue(path, out var shipped) || files.ContainsKey(path.TrimEnd('/') + "/"))
                {
                    if (anchor.Length > 1 && shipped is not null && !Anchors(shipped).Contains(anchor[1..]))
                    {
                        problems.Add($"{where}: no heading #{anchor[1..]} in {path}");
                    }
                }
                else
                {
                    // Not shipped: the text around the link must tell the reader where it is.
                    var around = text.Substring(link.Index, Math.Min(200, text.Length - link.Index));
                    if (!around.Contains("repository", StringComparison.Ordinal))
                    {
                        problems.Add($"{where}: {path} is not in the tarball, and the link does not say it is the repository's");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every file of the tarball by its path under the top folder; the text of the .md files.</summary>
    private static async Task<Dictionary<string, string?>> ReadTarballAsync(string tarball)
    {
        var files = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
            var name = entry.Name[(slash + 1)..];
            string? text = null;
            if (name.EndsWith(".md", StringComparison.Ordinal) && entry.DataStream is { } data)
            {
                using var reader = new StreamReader(data, Encoding.UTF8);
                text = await reader.ReadToEndAsync();
            }

            files[name] = text;
        }

        return files;
    }

    private static string Resolve(string from, string target)
    {
        var parts = new List<string>(from.Split('/')[..^1]);
        foreach (var part in target.Split('/'))
        {
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return "../" + target;
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    /// <summary>GitHub's anchors of a Markdown file's headings (lower case, punctuation dropped, spaces to dashes).</summary>
    private static HashSet<string> Anchors(string markdown) =>
        [.. Heading().Matches(markdown).Select(h =>
            NotInSlug().Replace(h.Groups["title"].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    [GeneratedRegex(@"\]\((?<target>[^)#\s]*)(?<anchor>#[^)\s]*)?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd} _-]")]
    private static partial Regex NotInSlug();
}
