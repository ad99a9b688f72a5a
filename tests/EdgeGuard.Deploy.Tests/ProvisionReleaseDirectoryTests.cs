namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// Provisioning again repairs what was changed on the gateway, the release's own directories
/// included: /opt/edgeguard/VERSION or a folder in it made writable by others would let anyone on
/// the gateway rename their own <c>edgeguard</c> over the binary the service runs. A stand-in
/// release (its validator a script that exits 0) keeps the test off the release build.
/// </summary>
public sealed class ProvisionReleaseDirectoryTests
{
    [Fact]
    public async Task A_rerun_repairs_release_directories_others_may_write()
    {
        using var scratch = new TempDirectory();
        var pkg = Path.Combine(scratch.Path, "pkg", "edgeguard-1.0.0");
        Directory.CreateDirectory(Path.Combine(pkg, "app", "runtimes", "linux"));
        Directory.CreateDirectory(Path.Combine(pkg, "config"));
        Directory.CreateDirectory(Path.Combine(pkg, "deploy"));
        var manifest = $"version=1.0.0\nrid={Scripts.HostRid}\ncommit=abc\nselfContained=true\n";
        File.WriteAllText(Path.Combine(pkg, "MANIFEST"), manifest);
        File.WriteAllText(Path.Combine(pkg, "app", "MANIFEST"), manifest);
        File.WriteAllText(Path.Combine(pkg, "app", "runtimes", "linux", "lib.so"), "x");
        var exe = Path.Combine(pkg, "app", "edgeguard");
        File.WriteAllText(exe, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(exe, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(pkg, "config", "appsettings.json"), "{ \"EdgeGuard\": {} }\n");
        foreach (var f in Directory.GetFiles(Path.Combine(Scripts.RepoRoot, "deploy")))
        {
            File.Copy(f, Path.Combine(pkg, "deploy", Path.GetFileName(f)));
        }

        var tarball = Path.Combine(scratch.Path, $"edgeguard-1.0.0-{Scripts.HostRid}.tar.gz");
        var tar = await Scripts.RunProgramAsync("tar", ProvisionKit.Patience, "-czf", tarball, "-C", Path.Combine(scratch.Path, "pkg"), "edgeguard-1.0.0");
        Assert.Equal(0, tar.ExitCode);
        // Beside it, as build-release.sh writes it: provisioning refuses a tarball without one.
        await File.WriteAllTextAsync(tarball + ".sha256", $"{ReleaseFixture.Sha256(tarball)}  {Path.GetFileName(tarball)}\n");

        using var root = ProvisionKit.BookwormRoot();
        string[] args = ["--tarball", tarball, "--site", ProvisionKit.Site, "--gateway", ProvisionKit.Gateway, "--broker", "office.example:8883", "--no-tls", "--root", root.Path, "--demo"];
        var first = await Scripts.RunAsync("deploy/provision-gateway.sh", ProvisionKit.Patience, args);
        Assert.True(first.ExitCode == 0, first.All);

        var release = Path.Combine(root.Path, "opt/edgeguard/1.0.0");
        string[] directories = [release, Path.Combine(release, "runtimes"), Path.Combine(release, "runtimes", "linux")];
        foreach (var directory in directories)
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        }

        var again = await Scripts.RunAsync("deploy/provision-gateway.sh", ProvisionKit.Patience, args);
        Assert.True(again.ExitCode == 0, again.All);

        foreach (var directory in directories)
        {
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(directory));
        }
    }
}
