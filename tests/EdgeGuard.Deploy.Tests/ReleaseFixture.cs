using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// One release tarball for every provisioning test, built by deploy/build-release.sh itself.
/// It is the framework-dependent build of this machine's RID (seconds on top of the build the test
/// run already did); the self-contained, trimmed linux-arm64 release is built, provisioned and run
/// by tools/ci/arm64-smoke.sh, which ./test.sh runs in CI.
/// </summary>
public sealed class ReleaseFixture : IAsyncLifetime
{
    public const string Version = "9.9.9-test";

    private readonly TempDirectory _directory = new();

    public string Tarball => Path.Combine(_directory.Path, "release", $"edgeguard-{Version}-{Scripts.HostRid}.tar.gz");

    /// <summary>A throw-away office CA and the gateway's client certificate (PEM files).</summary>
    public string CaFile { get; private set; } = "";

    public string CertFile { get; private set; } = "";

    public string KeyFile { get; private set; } = "";

    public string BuildOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var result = await Scripts.RunAsync("deploy/build-release.sh", TimeSpan.FromMinutes(10),
            "--framework-dependent", "--rid", Scripts.HostRid, "--version", Version, "--out", Path.Combine(_directory.Path, "release"));
        BuildOutput = result.All;
        Assert.True(result.ExitCode == 0, $"build-release.sh failed:\n{result.All}");

        var pki = new TestPki(_directory.Path);
        CaFile = pki.CaFile;
        (CertFile, KeyFile) = pki.IssueClient("gw-lobby");
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The same release under another version (directory name and both MANIFESTs rewritten), for
    /// upgrade and rollback tests without another publish. No .sha256 beside it.
    /// </summary>
    public Task<string> WithVersionAsync(string version) =>
        RepackAsync("v-" + version, version, async package =>
        {
            foreach (var manifest in Manifests(package))
            {
                var text = await File.ReadAllTextAsync(manifest);
                Assert.Contains($"version={Version}\n", text, StringComparison.Ordinal);
                await File.WriteAllTextAsync(manifest, text.Replace($"version={Version}\n", $"version={version}\n", StringComparison.Ordinal));
            }
        });

    /// <summary>
    /// Another build under the same version: both MANIFESTs name <paramref name="commit"/> and
    /// app/README.md differs, as a rebuild from a later commit with the same --version would.
    /// </summary>
    public Task<string> RebuiltAsync(string commit) =>
        RepackAsync("rebuilt-" + commit, Version, async package =>
        {
            foreach (var manifest in Manifests(package))
            {
                var lines = (await File.ReadAllLinesAsync(manifest)).Select(l => l.StartsWith("commit=", StringComparison.Ordinal) ? "commit=" + commit : l);
                await File.WriteAllTextAsync(manifest, string.Join('\n', lines) + "\n");
            }

            await File.AppendAllTextAsync(Path.Combine(package, "app", "README.md"), "\nChanged in a later commit.\n");
        });

    private static string[] Manifests(string package) => [Path.Combine(package, "MANIFEST"), Path.Combine(package, "app", "MANIFEST")];

    // Extracts the release into SCRATCH, renames its top directory for VERSION, lets CHANGE edit
    // it and packs it again as SCRATCH/edgeguard-VERSION-RID.tar.gz.
    private async Task<string> RepackAsync(string scratchName, string version, Func<string, Task> change)
    {
        var scratch = Path.Combine(_directory.Path, scratchName);
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        var extracted = Path.Combine(scratch, "x");
        Directory.CreateDirectory(extracted);
        await using (var gzip = new GZipStream(File.OpenRead(Tarball), CompressionMode.Decompress))
        {
            await TarFile.ExtractToDirectoryAsync(gzip, extracted, overwriteFiles: false);
        }

        var from = Path.Combine(extracted, $"edgeguard-{Version}-{Scripts.HostRid}");
        var to = Path.Combine(extracted, $"edgeguard-{version}-{Scripts.HostRid}");
        if (!string.Equals(from, to, StringComparison.Ordinal))
        {
            Directory.Move(from, to);
        }

        await change(to);
        var tarball = Path.Combine(scratch, $"edgeguard-{version}-{Scripts.HostRid}.tar.gz");
        await using (var output = File.Create(tarball))
        await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            await TarFile.CreateFromDirectoryAsync(to, gzip, includeBaseDirectory: true);
        }

        Directory.Delete(extracted, recursive: true);
        return tarball;
    }

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
}

/// <summary>
/// The provisioning test classes share one release (building it is the slow part) and run one
/// after another: each publishes nothing itself, but two builds of the same project at once would
/// write the same obj/ files.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReleaseCollection : ICollectionFixture<ReleaseFixture>
{
    public const string Name = "release";
}
