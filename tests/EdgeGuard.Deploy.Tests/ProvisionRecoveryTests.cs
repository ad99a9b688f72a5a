using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// provision-gateway.sh when things go wrong or are run again: upgrades and rollback copies, a refused
/// config, a full disk, a tree without the service account.
/// </summary>
[Collection(RecoveryCollection.Name)]
public sealed class ProvisionRecoveryTests(ReleaseFixture release)
{
    [Fact]
    public async Task Running_the_same_release_again_keeps_the_previous_release_for_rollback()
    {
        const string a = "9.9.7-test", b = "9.9.8-test", c = "9.9.9-test";
        var tarballA = await release.WithVersionAsync(a);
        var tarballB = await release.WithVersionAsync(b);
        var tls = (release.CaFile, release.CertFile, release.KeyFile);
        using var root = BookwormRoot();
        var r = root.Path;
        var opt = Path.Combine(r, "opt/edgeguard");

        var first = await ProvisionWith(tarballA, r, "office.example:8883", tls, null);
        Assert.True(first.ExitCode == 0, first.All);
        var upgrade = await ProvisionWith(tarballB, r, "office.example:8883", tls, null);
        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        Assert.Equal(b, new FileInfo(Path.Combine(opt, "current")).LinkTarget);
        Assert.Equal(a, new FileInfo(Path.Combine(opt, "previous")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(opt, a, "MANIFEST")), upgrade.All);
        // The config each release was validated with, for a rollback to it.
        Assert.True(File.Exists(Path.Combine(r, $"etc/edgeguard/appsettings.json.{a}")));
        Assert.True(File.Exists(Path.Combine(r, $"etc/edgeguard/appsettings.json.{b}")));

        var before = await Scripts.TreeListingAsync(r);
        var again = await ProvisionWith(tarballB, r, "office.example:8883", tls, null);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("provision-gateway: nothing changed", again.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("removed", again.Output, StringComparison.Ordinal);
        Assert.Equal(before, await Scripts.TreeListingAsync(r));
        Assert.Equal(a, new FileInfo(Path.Combine(opt, "previous")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(opt, a, "MANIFEST")));
        Assert.True(File.Exists(Path.Combine(opt, a, "edgeguard")));

        // The next upgrade keeps the release it replaces and removes the older one (and its config copy).
        var next = await ProvisionWith(release.Tarball, r, "office.example:8883", tls, null);

        Assert.True(next.ExitCode == 0, next.All);
        Assert.Contains($"removed  /opt/edgeguard/{a} (older release)", next.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(opt, a)));
        Assert.False(Path.Exists(Path.Combine(r, $"etc/edgeguard/appsettings.json.{a}")));
        Assert.True(File.Exists(Path.Combine(opt, b, "MANIFEST")));
        Assert.Equal(c, new FileInfo(Path.Combine(opt, "current")).LinkTarget);
        Assert.Equal(b, new FileInfo(Path.Combine(opt, "previous")).LinkTarget);

        // A file in the version's directory that the release does not have is removed (the code
        // path that must also work with an empty target root on a real system).
        await File.WriteAllTextAsync(Path.Combine(opt, c, "stray.txt"), "not ours");
        var cleanup = await release.Provision(r);
        Assert.True(cleanup.ExitCode == 0, cleanup.All);
        Assert.False(Path.Exists(Path.Combine(opt, c, "stray.txt")));
        Assert.Contains($"installed  /opt/edgeguard/{c}/ (1 of", cleanup.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_config_leaves_the_installed_certificate_and_key_alone()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var tlsDir = Path.Combine(r, "etc/edgeguard/tls");
        var installed = Directory.GetFiles(tlsDir).ToDictionary(f => f, File.ReadAllBytes, StringComparer.Ordinal);
        var config = await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json"));
        using var scratch = new TempDirectory();
        var pki = new TestPki(scratch.Path, "new-office");
        var (cert, key) = pki.IssueClient(Gateway);

        var refused = await ProvisionWith(release.Tarball, r, "office.example/mqtt:8883", (pki.CaFile, cert, key), null);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused by edgeguard validate", refused.Error, StringComparison.Ordinal);
        Assert.Equal(installed.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(tlsDir).Order(StringComparer.Ordinal));
        foreach (var (file, bytes) in installed)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
        }

        Assert.Equal(await File.ReadAllBytesAsync(release.KeyFile), await File.ReadAllBytesAsync(Path.Combine(tlsDir, "gateway.key")));
        Assert.Equal(config, await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json")));
        Assert.Empty(Leftovers(r));

        // The same new files with a good broker are installed, all together.
        var accepted = await ProvisionWith(release.Tarball, r, "office.example:8883", (pki.CaFile, cert, key), null);
        Assert.True(accepted.ExitCode == 0, accepted.All);
        Assert.Equal(await File.ReadAllBytesAsync(key), await File.ReadAllBytesAsync(Path.Combine(tlsDir, "gateway.key")));
        Assert.Equal(await File.ReadAllBytesAsync(cert), await File.ReadAllBytesAsync(Path.Combine(tlsDir, "gateway.crt")));
        Assert.Equal(await File.ReadAllBytesAsync(pki.CaFile), await File.ReadAllBytesAsync(Path.Combine(tlsDir, "ca.pem")));
        Assert.Equal("640", Scripts.Mode(Path.Combine(tlsDir, "gateway.key")));
        Assert.Empty(Leftovers(r));
    }

    [Fact]
    public async Task A_failed_copy_stops_with_an_error_and_leaves_the_installed_file_in_place()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        using var scratch = new TempDirectory();
        var pki = new TestPki(scratch.Path, "new-office");
        var (cert, key) = pki.IssueClient(Gateway);
        var installedKey = await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/tls/gateway.key"));

        // The new key cannot be written (disk full): nothing is reported installed, the old key stays.
        var full = await ProvisionWith(release.Tarball, r, "office.example:8883", (pki.CaFile, cert, key), DiskFullFor(scratch, "gateway.key.new"));

        Assert.Equal(1, full.ExitCode);
        Assert.Contains("cannot write", full.Error, StringComparison.Ordinal);
        Assert.Contains("No space left on device", full.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("done,", full.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("updated  /etc/edgeguard/tls/gateway.key", full.Output, StringComparison.Ordinal);
        Assert.Equal(installedKey, await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/tls/gateway.key")));
        Assert.Empty(Leftovers(r));

        // An application file that cannot be rewritten: the run stops there, the installed file is kept.
        var dll = Path.Combine(r, $"opt/edgeguard/{ReleaseFixture.Version}/edgeguard.dll");
        await File.AppendAllTextAsync(dll, "changed on the gateway");
        var damaged = await File.ReadAllBytesAsync(dll);
        using var scratch2 = new TempDirectory();

        var appFull = await ProvisionWith(release.Tarball, r, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), DiskFullFor(scratch2, "edgeguard.dll.provision-tmp"));

        Assert.Equal(1, appFull.ExitCode);
        Assert.Contains("cannot write", appFull.Error, StringComparison.Ordinal);
        Assert.DoesNotContain($"installed  /opt/edgeguard/{ReleaseFixture.Version}/", appFull.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("done,", appFull.Output, StringComparison.Ordinal);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(dll));
        Assert.Empty(Leftovers(r));
    }

    // The new release with a new broker: its config is validated, then the disk fills while the
    // rollback copy of that config is written, or while the new `current` link is made. Before,
    // the config had already been moved into place by then.
    [Theory]
    [InlineData("rollback copy")]
    [InlineData("current link")]
    public async Task An_upgrade_that_stops_at_a_full_disk_leaves_the_old_release_with_its_own_config(string failing)
    {
        const string older = "9.9.5-test";
        var tarball = await release.WithVersionAsync(older);
        var tls = (release.CaFile, release.CertFile, release.KeyFile);
        using var root = BookwormRoot();
        var r = root.Path;
        Assert.Equal(0, (await ProvisionWith(tarball, r, "office.example:8883", tls, null)).ExitCode);
        var installed = await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json"));
        using var scratch = new TempDirectory();

        var full = await ProvisionWith(release.Tarball, r, "office2.example:8883", tls, failing == "current link"
            ? NoInodeForLink(scratch, "current.provision-tmp")
            : DiskFullFor(scratch, $"appsettings.json.{ReleaseFixture.Version}.provision-tmp"));

        Assert.Equal(1, full.ExitCode);
        Assert.Contains("No space left on device", full.Error, StringComparison.Ordinal);
        Assert.Equal(installed, await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/appsettings.json")));
        Assert.Equal(older, new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);
        Assert.Empty(Leftovers(r));
    }

    [Fact]
    public async Task A_current_link_set_by_hand_as_an_absolute_path_is_still_kept_for_rollback()
    {
        const string older = "9.9.6-test";
        var tarball = await release.WithVersionAsync(older);
        using var root = BookwormRoot();
        var r = root.Path;
        var opt = Path.Combine(r, "opt/edgeguard");
        Assert.Equal(0, (await ProvisionWith(tarball, r, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null)).ExitCode);
        // A technician's manual rollback: ln -sfn /opt/edgeguard/9.9.6-test /opt/edgeguard/current.
        File.Delete(Path.Combine(opt, "current"));
        File.CreateSymbolicLink(Path.Combine(opt, "current"), $"/opt/edgeguard/{older}");

        var upgrade = await release.Provision(r);

        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        Assert.DoesNotContain("removed", upgrade.Output, StringComparison.Ordinal);
        Assert.Equal(older, new FileInfo(Path.Combine(opt, "previous")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(opt, older, "MANIFEST")));
        Assert.True(File.Exists(Path.Combine(r, $"etc/edgeguard/appsettings.json.{older}")));
    }

    [Fact]
    public async Task Under_root_the_unit_is_not_enabled_when_the_tree_has_no_service_account_or_device_groups()
    {
        // No gpio/i2c/spi groups: the unit would fail at every start (216/GROUP).
        using var noGroups = BookwormRoot(groups: "");
        var r = noGroups.Path;

        var result = await release.Provision(r);

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("not enabled: edgeguard.service", result.Output, StringComparison.Ordinal);
        Assert.Contains("group gpio, group i2c, group spi", result.Output, StringComparison.Ordinal);
        Assert.Contains("edgeguard.service NOT enabled", result.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
        Assert.DoesNotContain("systemctl start", result.Output, StringComparison.Ordinal);
        // Everything else is installed: a later run on the gateway only adds the accounts and enables it.
        Assert.True(File.Exists(Path.Combine(r, "etc/systemd/system/edgeguard.service")));
        Assert.True(File.Exists(Path.Combine(r, "etc/edgeguard/appsettings.json")));

        // Groups that exist without edgeguard in them are not enough either.
        await File.WriteAllTextAsync(Path.Combine(r, "etc/group"), $"root:x:0:\ngpio:x:993:pi\ni2c:x:994:edgeguard\nspi:x:995:\nedgeguard:x:{EdgeGuardId}:\n");
        var partial = await release.Provision(r);
        Assert.True(partial.ExitCode == 0, partial.All);
        Assert.Contains("edgeguard in group gpio, edgeguard in group spi", partial.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));

        // Once the tree has them, the same run enables it.
        await File.WriteAllTextAsync(Path.Combine(r, "etc/group"), $"root:x:0:\ngpio:x:993:pi,edgeguard\ni2c:x:994:edgeguard\nspi:x:995:edgeguard\nedgeguard:x:{EdgeGuardId}:\n");
        var enabled = await release.Provision(r);
        Assert.True(enabled.ExitCode == 0, enabled.All);
        Assert.DoesNotContain("not enabled", enabled.All, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/etc/systemd/system/edgeguard.service",
            new FileInfo(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")).LinkTarget);

        // No account at all (a stock image): not enabled, files stay root's.
        using var bare = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(bare.Path, "etc"));
        await File.WriteAllTextAsync(Path.Combine(bare.Path, "etc/os-release"), "VERSION_CODENAME=bookworm\n");
        var stock = await release.Provision(bare.Path);
        Assert.True(stock.ExitCode == 0, stock.All);
        Assert.Contains("user edgeguard (etc/passwd)", stock.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(bare.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
    }
}
