using System.Text.Json.Nodes;
using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// Running provisioning again without <c>--config-template</c>, as deploy/README.md tells a
/// technician to do to rotate a certificate or upgrade, fills this gateway's values into the
/// installed config. Before, it rebuilt the config from the release's sample: the gateway came
/// back on the demo pin map (other panic, fire and egress lines) and the site's own was gone.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionRerunTests(ReleaseFixture release)
{
    private const string Config = "etc/edgeguard/appsettings.json";

    // A forgotten --config-template on a first install gave a gateway on the release's demo pin
    // map (panic, fire and egress lock on the demo's GPIO lines), unit enabled, "done", exit 0,
    // nothing on stderr: relays driven on lines of another wiring, no real fire input read.
    [Fact]
    public async Task A_first_install_without_a_template_is_refused_unless_the_demo_is_asked_for()
    {
        using var root = BookwormRoot();
        var r = root.Path;
        string[] args =
        [
            "--tarball", release.Tarball, "--site", Site, "--gateway", Gateway, "--broker", "office.example:8883",
            "--ca", release.CaFile, "--cert", release.CertFile, "--key", release.KeyFile, "--root", r,
        ];

        var refused = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience, args);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--config-template", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--demo", refused.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(r, "etc/edgeguard/appsettings.json")));
        Assert.False(Path.Exists(Path.Combine(r, "opt/edgeguard")));
        Assert.False(Path.Exists(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));

        var demo = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience, [.. args, "--demo"]);

        Assert.True(demo.ExitCode == 0, demo.All);
        Assert.Contains("demo pin map", demo.Output, StringComparison.Ordinal);
        Assert.Contains("demo pin map", demo.Error, StringComparison.Ordinal);

        // An upgrade run keeps the installed config, with or without --demo.
        var upgrade = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience, args);

        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        Assert.Contains("from the installed /etc/edgeguard/appsettings.json", upgrade.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("demo", upgrade.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_rotation_without_a_template_keeps_the_sites_config()
    {
        using var root = BookwormRoot();
        using var scratch = new TempDirectory();
        var r = root.Path;
        var site = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        site["EdgeGuard"]!["zones"]![0]!["name"] = "SITE-SPECIFIC LOBBY";
        var template = Path.Combine(scratch.Path, "site.json");
        await File.WriteAllTextAsync(template, site.ToJsonString());
        var first = await release.Provision(r, "office.example:8883", "--config-template", template);
        Assert.True(first.ExitCode == 0, first.All);

        // The rotation as documented: the same gateway and broker, new TLS files, no template.
        var pki = new TestPki(scratch.Path, "new-office");
        var (cert, key) = pki.IssueClient(Gateway);
        var rotated = await ProvisionWith(release.Tarball, r, "office.example:8883", (pki.CaFile, cert, key), null);

        Assert.True(rotated.ExitCode == 0, rotated.All);
        Assert.Contains("SITE-SPECIFIC LOBBY", await File.ReadAllTextAsync(Path.Combine(r, Config)), StringComparison.Ordinal);
        Assert.Contains("from the installed /etc/edgeguard/appsettings.json", rotated.Output, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(cert), await File.ReadAllBytesAsync(Path.Combine(r, "etc/edgeguard/tls/gateway.crt")));
    }

    [Fact]
    public async Task Hand_edits_to_the_installed_config_survive_a_rerun_and_its_values_are_filled_in_again()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var installed = Path.Combine(r, Config);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(installed))!;
        config["EdgeGuard"]!["zones"]![0]!["name"] = "Lobby (edited on site)";
        // A hand edit of a value provisioning owns is put back to what this run is given.
        config["EdgeGuard"]!["stateDirectory"] = "/srv/elsewhere";
        await File.WriteAllTextAsync(installed, "// edited by the site technician\n" + config.ToJsonString(new() { WriteIndented = true }));

        var again = await release.Provision(r, "office2.example:8883");

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("from the installed /etc/edgeguard/appsettings.json", again.Output, StringComparison.Ordinal);
        Assert.Contains("updated  /etc/edgeguard/appsettings.json (", again.Output, StringComparison.Ordinal);
        var eg = JsonNode.Parse(await File.ReadAllTextAsync(installed))!["EdgeGuard"]!;
        Assert.Equal("Lobby (edited on site)", (string?)eg["zones"]![0]!["name"]);
        Assert.Equal("office2.example", (string?)eg["mqtt"]!["host"]);
        Assert.Equal("/var/lib/edgeguard", (string?)eg["stateDirectory"]);
    }

    [Fact]
    public async Task A_rerun_that_changes_nothing_leaves_a_commented_installed_config_as_written()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        var installed = Path.Combine(r, Config);
        var commented = "// lobby gateway, embassy-x\n" + await File.ReadAllTextAsync(installed);
        await File.WriteAllTextAsync(installed, commented);

        var again = await release.Provision(r);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("unchanged  /etc/edgeguard/appsettings.json (", again.Output, StringComparison.Ordinal);
        Assert.Equal(commented, await File.ReadAllTextAsync(installed));
    }

    [Fact]
    public async Task A_template_given_again_replaces_the_installed_config()
    {
        using var root = await release.ProvisionedRootAsync();
        using var scratch = new TempDirectory();
        var r = root.Path;
        var site = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        site["EdgeGuard"]!["zones"]![0]!["name"] = "New pin map";
        var template = Path.Combine(scratch.Path, "site.json");
        await File.WriteAllTextAsync(template, site.ToJsonString());

        var again = await release.Provision(r, "office.example:8883", "--config-template", template);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.DoesNotContain("from the installed", again.Output, StringComparison.Ordinal);
        Assert.Contains("New pin map", await File.ReadAllTextAsync(Path.Combine(r, Config)), StringComparison.Ordinal);
    }

    // A run that stops after `current` was switched but before `previous` was set (a full disk
    // at the link, a power cut between two renames) was not repaired by running it again: the
    // re-run saw current == this version and moved neither link, so the rollback target of
    // deploy/README.md (readlink /opt/edgeguard/previous) was missing (or two releases old).
    [Fact]
    public async Task A_rerun_after_a_stop_between_current_and_previous_still_records_the_rollback_target()
    {
        using var root = await release.ProvisionedRootAsync();
        var r = root.Path;
        using var scratch = new TempDirectory();
        var newer = await release.WithVersionAsync("9.9.11-test");
        var tls = (release.CaFile, release.CertFile, release.KeyFile);

        var stopped = await ProvisionWith(newer, r, "office.example:8883", tls, NoInodeForLink(scratch, "previous.provision-tmp"));
        Assert.Equal(1, stopped.ExitCode);
        Assert.Equal("9.9.11-test", new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);

        var again = await ProvisionWith(newer, r, "office.example:8883", tls, null);
        Assert.True(again.ExitCode == 0, again.All);
        Assert.Equal(ReleaseFixture.Version, new FileInfo(Path.Combine(r, "opt/edgeguard/previous")).LinkTarget);
    }
}
