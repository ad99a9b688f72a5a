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
/// <remarks>
/// Both collections (<see cref="ReleaseCollection"/>, <see cref="RecoveryCollection"/>) get an
/// instance, and both use the one build (<see cref="SharedRelease"/>): two builds of the same
/// project at once would write the same obj/ files, and building is the slow part.
/// </remarks>
public sealed class ReleaseFixture : IAsyncLifetime
{
    public const string Version = "9.9.9-test";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SharedRelease? s_shared;
    private static int s_users;

    private SharedRelease? _release;

    private SharedRelease Release => _release ?? throw new InvalidOperationException("the release was not built");

    public string Tarball => Release.Tarball;

    /// <summary>A throw-away office CA and the gateway's client certificate (PEM files).</summary>
    public string CaFile => Release.CaFile;

    public string CertFile => Release.CertFile;

    public string KeyFile => Release.KeyFile;

    public string BuildOutput => Release.BuildOutput;

    public async Task InitializeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            s_shared ??= await SharedRelease.BuildAsync();
            s_users++;
            _release = s_shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            // The last collection to finish removes the build (the other may still provision).
            if (_release is not null && --s_users == 0)
            {
                s_shared?.Dispose();
                s_shared = null;
            }

            _release = null;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// A copy (<c>cp -a</c>: modes, owners and times kept) of a Bookworm root that this release
    /// was provisioned into once, for tests that start from a provisioned gateway: the same run
    /// with the same arguments each of them made first, made once (it takes seconds).
    /// </summary>
    public async Task<TempDirectory> ProvisionedRootAsync()
    {
        var source = await Release.ProvisionedBaseAsync(this);
        var copy = new TempDirectory();
        var cp = await RunAsync("cp", "-a", "--", source + "/.", copy.Path);
        Assert.True(cp.ExitCode == 0, $"cp -a of the provisioned root failed:\n{cp.All}");
        return copy;
    }

    private static async Task<Scripts.Result> RunAsync(string command, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Scripts.Result(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// The same release under another version (directory name and both MANIFESTs rewritten), for
    /// upgrade and rollback tests without another publish, with its .sha256 beside it as
    /// build-release.sh writes it (provision-gateway.sh refuses a tarball without one).
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

    /// <summary>
    /// Another build from uncommitted changes of the same commit under the same version: both MANIFESTs
    /// name <paramref name="content"/> (as build-release.sh does for such a build) and app/README.md differs.
    /// </summary>
    public Task<string> RebuiltUncommittedAsync(string content) =>
        RepackAsync("uncommitted-" + content[..8], Version, async package =>
        {
            foreach (var manifest in Manifests(package))
            {
                var lines = (await File.ReadAllLinesAsync(manifest)).Where(l => !l.StartsWith("content=", StringComparison.Ordinal));
                await File.WriteAllTextAsync(manifest, string.Join('\n', lines.Append("content=" + content)) + "\n");
            }

            await File.AppendAllTextAsync(Path.Combine(package, "app", "README.md"), "\nAn uncommitted change.\n");
        });

    private static string[] Manifests(string package) => [Path.Combine(package, "MANIFEST"), Path.Combine(package, "app", "MANIFEST")];

    // Extracts the release into SCRATCH, renames its top directory for VERSION, lets CHANGE edit
    // it and packs it again as SCRATCH/edgeguard-VERSION-RID.tar.gz.
    private async Task<string> RepackAsync(string scratchName, string version, Func<string, Task> change)
    {
        var scratch = Path.Combine(Release.Directory, scratchName);
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
        await File.WriteAllTextAsync(tarball + ".sha256", $"{Sha256(tarball)}  {Path.GetFileName(tarball)}\n");
        return tarball;
    }

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
}

/// <summary>
/// The provisioning test classes but <see cref="ProvisionRecoveryTests"/>: they run one after
/// another, in parallel with <see cref="RecoveryCollection"/> (each test provisions its own scratch
/// root, and the versions the two repack, <see cref="ReleaseFixture.WithVersionAsync"/>, differ).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReleaseCollection : ICollectionFixture<ReleaseFixture>
{
    public const string Name = "release";
}

/// <summary>
/// <see cref="ProvisionRecoveryTests"/>, the longest class (about half the project's time), in a
/// collection of its own so that it runs beside the others: on two cores the project takes about
/// as long as this class instead of all of them one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RecoveryCollection : ICollectionFixture<ReleaseFixture>
{
    public const string Name = "release-recovery";
}
