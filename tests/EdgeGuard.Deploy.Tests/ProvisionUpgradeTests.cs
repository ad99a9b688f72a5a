using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// provision-gateway.sh on an upgrade: nothing that can fail may run between the first rename and
/// the switch of <c>current</c> (the old release would start on the new config), and a version
/// names one build only.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionUpgradeTests(ReleaseFixture release)
{

    // Before, the time server's drop-in was written after the new config had been moved into
    // place: a full card there left release A under release B's config, never restarted.
    [Fact]
    public async Task An_upgrade_whose_time_server_drop_in_cannot_be_written_leaves_the_old_release_with_its_own_config()
    {
        const string older = "9.9.4-test";
        var tarball = await release.WithVersionAsync(older);
        var tls = (release.CaFile, release.CertFile, release.KeyFile);
        using var root = BookwormRoot();
        var r = root.Path;
        Assert.Equal(0, (await ProvisionWith(tarball, r, "office.example:8883", tls, null)).ExitCode);
        var config = await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json"));
        var unit = await File.ReadAllBytesAsync(Path.Combine(r, "etc/systemd/system/edgeguard.service"));
        var dropIn = await File.ReadAllBytesAsync(Path.Combine(r, TimeSyncDropIn));
        using var scratch = new TempDirectory();

        // A new broker: a new config and a new time server (the broker's host) to write.
        var full = await ProvisionWith(release.Tarball, r, "office2.example:8883", tls,
            DiskFullFor(scratch, "timesyncd.conf.d/edgeguard.conf.provision-tmp"));

        Assert.Equal(1, full.ExitCode);
        Assert.Contains("No space left on device", full.Error, StringComparison.Ordinal);
        Assert.Equal(config, await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json")));
        Assert.Equal(older, new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);
        Assert.Equal(unit, await File.ReadAllBytesAsync(Path.Combine(r, "etc/systemd/system/edgeguard.service")));
        Assert.Equal(dropIn, await File.ReadAllBytesAsync(Path.Combine(r, TimeSyncDropIn)));
        Assert.Empty(Leftovers(r));

        // With room on the card the same upgrade goes through, and the clock's service is only
        // touched once the release and its config are switched.
        var upgrade = await ProvisionWith(release.Tarball, r, "office2.example:8883", tls, null);
        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        Assert.Contains("NTP=office2.example", await File.ReadAllLinesAsync(Path.Combine(r, TimeSyncDropIn)));
        var switched = upgrade.Output.IndexOf($"/opt/edgeguard/current -> {ReleaseFixture.Version}", StringComparison.Ordinal);
        var timeStep = upgrade.Output.IndexOf("timedatectl set-ntp true", StringComparison.Ordinal);
        Assert.True(switched >= 0 && timeStep > switched, upgrade.Output);
        Assert.Empty(Leftovers(r));
    }

    // timedatectl and systemctl run only on a real system, never under --root: the time step of
    // provision-system.sh is run here as provision-gateway.sh runs it there, against shims.
    [Fact]
    public async Task A_time_service_that_cannot_be_switched_on_is_a_warning_naming_the_step_not_an_abort()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "etc/systemd/timesyncd.conf.d"));
        using var scratch = new TempDirectory();
        var bin = Path.Combine(scratch.Path, "bin");
        Directory.CreateDirectory(bin);
        WriteShim(bin, "timedatectl", "echo 'Failed to set ntp: Unit systemd-timesyncd.service is masked.' >&2; exit 1");
        WriteShim(bin, "systemctl", """
            case "$1" in is-active) exit 3 ;; esac
            echo "Failed to restart systemd-timesyncd.service: Unit systemd-timesyncd.service is masked." >&2
            exit 1
            """);
        var harness = Path.Combine(scratch.Path, "time-step.sh");
        await File.WriteAllTextAsync(harness, """
            set -euo pipefail
            shopt -s inherit_errexit
            die() { echo "provision-gateway: error: $*" >&2; exit 1; }
            R=$1 mode=system dry_run=false can_chown=false eg_uid="" eg_gid="" changes=0 staging=$2
            staged=() warnings=()
            . "$3/deploy/provision-lib.sh"
            . "$3/deploy/provision-system.sh"
            state=$(stage_time_sync 10.8.0.1 given)
            staged+=("$R/etc/systemd/timesyncd.conf.d/edgeguard.conf.provision-tmp")
            apply_time_sync "$state" 10.8.0.1
            echo "after the time step: $changes change(s), ${#warnings[@]} warning(s)"

            """);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };

        var result = await Scripts.RunAsync(harness, Patience, environment, root.Path, scratch.Path, Scripts.RepoRoot);

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("after the time step: 1 change(s), 1 warning(s)", result.Output, StringComparison.Ordinal);
        Assert.Contains("timedatectl set-ntp true", result.Output, StringComparison.Ordinal);
        Assert.Contains("systemctl unmask systemd-timesyncd", result.Output, StringComparison.Ordinal);
        Assert.Contains("masked", result.Error, StringComparison.Ordinal);
        Assert.Contains("NTP=10.8.0.1", await DropInAsync(root));
        Assert.Empty(Leftovers(root.Path));
    }

    // Files of the version's directory are copied one by one before the validator runs: another
    // build under the same version would leave the running release's directory with unvalidated
    // binaries after a refused config, or half old and half new after a full card.
    [Fact]
    public async Task Another_build_under_an_installed_version_is_refused_before_anything_is_touched()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var installed = await File.ReadAllLinesAsync(Path.Combine(r, $"opt/edgeguard/{ReleaseFixture.Version}/MANIFEST"));
        var before = await Scripts.TreeListingAsync(r);
        var rebuilt = await release.RebuiltAsync("0123456789abcdef0123456789abcdef01234567");

        var refused = await ProvisionWith(rebuilt, r, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"already holds another build of version {ReleaseFixture.Version}", refused.Error, StringComparison.Ordinal);
        Assert.Contains("commit 0123456789abcdef0123456789abcdef01234567", refused.Error, StringComparison.Ordinal);
        Assert.Contains(installed.Single(l => l.StartsWith("commit=", StringComparison.Ordinal))["commit=".Length..], refused.Error, StringComparison.Ordinal);
        Assert.Contains("--version", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, await Scripts.TreeListingAsync(r));

        // The same build again is still welcome (it repairs a file changed on the gateway).
        var again = await release.Provision(r);
        Assert.True(again.ExitCode == 0, again.All);
    }

    // Two builds from uncommitted changes share the version (…-dirty, or the --version given) and the
    // commit: their MANIFESTs were the same, so the second one's binaries were copied over the running
    // release before the validator ran.
    [Fact]
    public async Task A_build_from_uncommitted_changes_naming_other_content_is_refused_as_another_build()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var before = await Scripts.TreeListingAsync(r);
        var content = new string('1', 64);
        var other = await release.RebuiltUncommittedAsync(content);

        var refused = await ProvisionWith(other, r, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"already holds another build of version {ReleaseFixture.Version}", refused.Error, StringComparison.Ordinal);
        Assert.Contains($"tarball content {content}", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, await Scripts.TreeListingAsync(r));
    }

    private static void WriteShim(string bin, string name, string body)
    {
        var path = Path.Combine(bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
