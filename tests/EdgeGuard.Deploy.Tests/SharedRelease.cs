namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// The release tarball, the TLS files and (on first use) a root provisioned from them: built once
/// per test run and shared by every <see cref="ReleaseFixture"/>, which removes it after its last user.
/// </summary>
internal sealed class SharedRelease : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SemaphoreSlim _provisioning = new(1, 1);
    private TempDirectory? _provisioned;

    private SharedRelease()
    {
    }

    public string Directory => _directory.Path;

    public string Tarball => Path.Combine(Directory, "release", $"edgeguard-{ReleaseFixture.Version}-{Scripts.HostRid}.tar.gz");

    public string CaFile { get; private set; } = "";

    public string CertFile { get; private set; } = "";

    public string KeyFile { get; private set; } = "";

    public string BuildOutput { get; private set; } = "";

    public static async Task<SharedRelease> BuildAsync()
    {
        var release = new SharedRelease();
        try
        {
            var result = await Scripts.RunAsync("deploy/build-release.sh", TimeSpan.FromMinutes(10),
                "--framework-dependent", "--rid", Scripts.HostRid, "--version", ReleaseFixture.Version,
                "--out", Path.Combine(release.Directory, "release"));
            release.BuildOutput = result.All;
            Assert.True(result.ExitCode == 0, $"build-release.sh failed:\n{result.All}");

            var pki = new TestPki(release.Directory);
            release.CaFile = pki.CaFile;
            (release.CertFile, release.KeyFile) = pki.IssueClient(ProvisionKit.Gateway);
            return release;
        }
        catch
        {
            release.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A Bookworm root (<see cref="ProvisionKit.BookwormRoot"/>) provisioned with the release's
    /// TLS files and the default broker, as the tests that start from a provisioned gateway did
    /// each on their own; provisioned on the first call, never changed afterwards.
    /// </summary>
    public async Task<string> ProvisionedBaseAsync(ReleaseFixture release)
    {
        await _provisioning.WaitAsync();
        try
        {
            if (_provisioned is null)
            {
                var root = ProvisionKit.BookwormRoot();
                var result = await release.Provision(root.Path);
                if (result.ExitCode != 0)
                {
                    root.Dispose();
                    Assert.Fail($"provisioning the shared root failed:\n{result.All}");
                }

                _provisioned = root;
            }

            return _provisioned.Path;
        }
        finally
        {
            _provisioning.Release();
        }
    }

    public void Dispose()
    {
        _provisioned?.Dispose();
        _directory.Dispose();
        _provisioning.Dispose();
    }
}
