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
    public async Task<string> WithVersionAsync(string version)
    {
        var scratch = Path.Combine(_directory.Path, "v-" + version);
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        Directory.CreateDirectory(scratch);
        await using (var gzip = new GZipStream(File.OpenRead(Tarball), CompressionMode.Decompress))
        {
            await TarFile.ExtractToDirectoryAsync(gzip, scratch, overwriteFiles: false);
        }

        var from = Path.Combine(scratch, $"edgeguard-{Version}-{Scripts.HostRid}");
        var to = Path.Combine(scratch, $"edgeguard-{version}-{Scripts.HostRid}");
        Directory.Move(from, to);
        foreach (var manifest in new[] { Path.Combine(to, "MANIFEST"), Path.Combine(to, "app", "MANIFEST") })
        {
            var text = await File.ReadAllTextAsync(manifest);
            Assert.Contains($"version={Version}\n", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(manifest, text.Replace($"version={Version}\n", $"version={version}\n", StringComparison.Ordinal));
        }

        var tarball = Path.Combine(_directory.Path, $"edgeguard-{version}-{Scripts.HostRid}.tar.gz");
        await using (var output = File.Create(tarball))
        await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            await TarFile.CreateFromDirectoryAsync(to, gzip, includeBaseDirectory: true);
        }

        Directory.Delete(scratch, recursive: true);
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
