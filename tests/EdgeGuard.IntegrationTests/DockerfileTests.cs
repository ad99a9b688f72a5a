using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// What can be held of the top-level Dockerfile without a Docker engine (CI has none): the
/// properties docs/container.md promises, and that the cached restore sees every project.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string Root = OfficeDeployment.RepositoryRoot();
    private static readonly string[] Lines = Instructions(File.ReadAllText(Path.Combine(Root, "Dockerfile")));

    [Fact]
    public void The_image_runs_a_self_contained_publish_on_runtime_deps_as_an_unprivileged_user()
    {
        var stages = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var final = Lines.Skip(Array.LastIndexOf(Lines, stages[^1])).ToList();

        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0", stages[^1], StringComparison.Ordinal);
        // runtime-deps has no .NET runtime: a framework-dependent publish would not start.
        Assert.Contains(Lines, l => l.Contains("dotnet publish src/EdgeGuard", StringComparison.Ordinal) && l.Contains("--self-contained", StringComparison.Ordinal));
        var user = Assert.Single(final, l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Split(':')[0];
        Assert.DoesNotContain(user, new[] { "root", "0" });
        Assert.Contains(final, l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("useradd --system --uid 10001", StringComparison.Ordinal) && l.Contains(user, StringComparison.Ordinal));
        Assert.Contains("VOLUME [\"/var/lib/edgeguard\"]", final);
        Assert.Contains("ENV EdgeGuard__stateDirectory=/var/lib/edgeguard", final);
        Assert.Contains("CMD [\"run\", \"--config\", \"/etc/edgeguard/appsettings.json\"]", final);
    }

    [Fact]
    public void Every_project_the_gateway_references_is_copied_before_the_cached_restore()
    {
        var restore = Array.FindIndex(Lines, l => l.Contains("dotnet restore src/EdgeGuard", StringComparison.Ordinal));
        var copied = Lines.Take(restore)
            .Select(l => ProjectCopy().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups["path"].Value)
            .ToHashSet();

        Assert.True(restore > 0, "the Dockerfile restores src/EdgeGuard in a layer of its own");
        Assert.Equal(ReferencedProjects("src/EdgeGuard/EdgeGuard.csproj").Order(), copied.Order());
        Assert.Contains(Lines.Take(restore), l => l == "COPY Directory.Build.props Directory.Packages.props ./");
    }

    /// <summary>The project and everything it references, transitively, as repository-relative paths.</summary>
    private static SortedSet<string> ReferencedProjects(string project)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(Path.Combine(Root, next))!;
            foreach (var reference in XDocument.Load(Path.Combine(Root, next)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(Root, full).Replace('\\', '/'));
            }
        }

        return found;
    }

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static string[] Instructions(string dockerfile)
    {
        var result = new List<string>();
        var current = "";
        foreach (var raw in dockerfile.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }

            current = current.Length == 0 ? line : $"{current} {line}";
            if (current.EndsWith('\\'))
            {
                current = current[..^1].TrimEnd();
                continue;
            }

            if (current.Length > 0)
            {
                result.Add(current);
            }

            current = "";
        }

        return [.. result];
    }

    [GeneratedRegex(@"^COPY (?<path>src/[^ ]+\.csproj) src/[^ ]+/$")]
    private static partial Regex ProjectCopy();
}
