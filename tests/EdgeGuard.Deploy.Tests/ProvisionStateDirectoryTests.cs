using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// provision-gateway.sh and what is already in the state directory: a journal a newer release
/// migrated, and files the gateway must write that a tool run as root left root's. Before, the
/// script checked the config only: the release it switched to could not start on either.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionStateDirectoryTests(ReleaseFixture release)
{
    // Provisioning an older release (the "downgrade" of deploy/README.md step 9) over a journal
    // the running, newer release already migrated to a newer schema: the older binary exits 2 at
    // start ("newer than the N this build understands"), which RestartPreventExitStatus never
    // restarts, and the site was left without a controller while the script said "done".
    [Fact]
    public async Task A_downgrade_over_a_newer_schema_journal_is_refused_before_current_is_switched()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        Assert.Equal(ReleaseFixture.Version, new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);
        // The journal as the newer release left it: an EdgeGuard journal one schema beyond this build.
        var state = Path.Combine(r, "var/lib/edgeguard");
        Directory.CreateDirectory(state);
        using (var p = System.Diagnostics.Process.Start("python3", [
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA application_id=1162299980'); "
            + "c.execute('PRAGMA user_version=9999'); c.execute('CREATE TABLE t(x)'); c.commit(); c.close()",
            Path.Combine(state, "edgeguard.db"),
        ])!)
        {
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
        }

        var older = await release.WithVersionAsync("9.9.4-test");
        var downgrade = await ProvisionWith(older, r, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null);

        // The run stops before the switch, naming the journal's schema.
        Assert.True(downgrade.ExitCode != 0, "downgrade provisioned over a newer-schema journal:\n" + downgrade.All);
        Assert.Contains("schema", downgrade.All, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ReleaseFixture.Version, new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);
    }

    // A re-provision (an upgrade) over a state directory holding a file the gateway must write
    // but cannot: edgeguard.lock left owned by root by an older release's tool run as root
    // (deploy/README.md: such files "keep the gateway from starting"). ensure_dir fixed
    // /var/lib/edgeguard itself only, and systemd's StateDirectory= chowns nothing when the
    // directory is already the user's: the run ended "done" and restarted into that failure.
    [Fact]
    public async Task A_reprovision_over_a_root_owned_lock_in_the_state_directory_fixes_or_names_it()
    {
        Assert.True(Scripts.IsRoot, "needs root to chown");
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var state = Path.Combine(r, "var/lib/edgeguard");
        var db = Path.Combine(state, "edgeguard.db");
        await File.WriteAllTextAsync(db, "");
        File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var chown = System.Diagnostics.Process.Start("chown", [$"{EdgeGuardId}:{EdgeGuardId}", db])!;
        await chown.WaitForExitAsync();
        var lockFile = Path.Combine(state, "edgeguard.lock");
        await File.WriteAllTextAsync(lockFile, ""); // root:root, as a root-run walktest/journal tool left it

        var upgrade = await ProvisionWith(await release.WithVersionAsync("9.9.10-test"), r, "office.example:8883",
            (release.CaFile, release.CertFile, release.KeyFile), null);

        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        var fixedOwner = Scripts.Owner(lockFile) != Scripts.Owner(Path.Combine(r, "etc")); // not root's any more
        var named = upgrade.All.Contains("edgeguard.lock", StringComparison.Ordinal);
        Assert.True(fixedOwner || named, $"lock owner {Scripts.Owner(lockFile)}, db owner {Scripts.Owner(db)}; run said nothing:\n{upgrade.All}");
    }
}
