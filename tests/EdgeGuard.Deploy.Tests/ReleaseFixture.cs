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

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
}
