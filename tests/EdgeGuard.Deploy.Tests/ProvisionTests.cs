using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// deploy/provision-gateway.sh run for real with <c>--root</c> into scratch trees: what a technician
/// gets on a gateway, that the release's own validator guards the config, and that a second run
/// touches nothing.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionTests(ReleaseFixture release)
{
    [Fact]
    public async Task The_tarball_holds_the_app_config_template_deploy_scripts_unit_and_hardware_docs_with_its_checksum()
    {
        var checksum = await File.ReadAllTextAsync(release.Tarball + ".sha256");
        Assert.Equal($"{ReleaseFixture.Sha256(release.Tarball)}  {Path.GetFileName(release.Tarball)}\n", checksum);

        var entries = new Dictionary<string, UnixFileMode>(StringComparer.Ordinal);
        await using (var gzip = new GZipStream(File.OpenRead(release.Tarball), CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
        {
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                entries[entry.Name] = entry.Mode;
            }
        }

        var top = $"edgeguard-{ReleaseFixture.Version}-{Scripts.HostRid}/";
        foreach (var file in new[]
                 {
                     "MANIFEST", "app/edgeguard", "app/edgeguard.dll", "config/appsettings.json",
                     "config/samples/annex-io-board.json", "deploy/provision-gateway.sh", "deploy/provision-lib.sh", "deploy/provision-state.sh",
                     "deploy/provision-system.sh", "deploy/provision-tls.sh", "deploy/render-config.py",
                     "deploy/edgeguard.service", "deploy/README.md", "hardware/README.md",
                     // deploy/README.md sends the technician to both.
                     "hardware/WIRING.md", "deploy/office/README.md",
                 })
        {
            Assert.True(entries.ContainsKey(top + file), $"{top + file} missing from the tarball");
        }

        // The sample config (embassy-demo, relative stateDirectory) is only a template: beside the
        // executable it would be what every verb without --config reads, on real relays too.
        Assert.False(entries.ContainsKey(top + "app/appsettings.json"), "the sample config is beside the executable");
        Assert.True(entries[top + "app/edgeguard"].HasFlag(UnixFileMode.UserExecute));
        Assert.True(entries[top + "deploy/provision-gateway.sh"].HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public async Task Provisioning_installs_a_validated_gateway_and_a_second_run_changes_nothing()
    {
        using var root = BookwormRoot();
        var r = root.Path;

        var first = await release.Provision(r);

        Assert.True(first.ExitCode == 0, first.All);
        // The release's own edgeguard validated the written config (with this gateway's ids in it).
        Assert.Contains($"Configuration is valid: site {Site}, gateway {Gateway}", first.Output, StringComparison.Ordinal);
        // Without a real system, apt, useradd and systemctl are printed, not run.
        Assert.Contains("skipped (--root): apt-get install --no-install-recommends libgpiod2", first.Output, StringComparison.Ordinal);
        Assert.Contains("skipped (--root): systemctl start edgeguard.service", first.Output, StringComparison.Ordinal);

        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(r, "etc/edgeguard/appsettings.json")))!["EdgeGuard"]!;
        Assert.Equal(Site, (string?)config["site"]);
        Assert.Equal(Gateway, (string?)config["gateway"]);
        Assert.Equal("/var/lib/edgeguard", (string?)config["stateDirectory"]);
        Assert.Equal("libgpiod", (string?)config["hardware"]!["driver"]);
        Assert.Equal("office.example", (string?)config["mqtt"]!["host"]);
        Assert.Equal(8883, (int?)config["mqtt"]!["port"]);
        var tls = config["mqtt"]!["tls"]!;
        Assert.True((bool?)tls["enabled"]);
        Assert.Equal("/etc/edgeguard/tls/ca.pem", (string?)tls["caFile"]);
        Assert.Equal("/etc/edgeguard/tls/gateway.crt", (string?)tls["certFile"]);
        Assert.Equal("/etc/edgeguard/tls/gateway.key", (string?)tls["keyFile"]);
        // The template's pin map is kept as it was.
        var template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!["EdgeGuard"]!;
        Assert.Equal(template["points"]!.ToJsonString(), config["points"]!.ToJsonString());

        Assert.Equal("640", Scripts.Mode(Path.Combine(r, "etc/edgeguard/appsettings.json")));
        Assert.Equal("750", Scripts.Mode(Path.Combine(r, "etc/edgeguard")));
        Assert.Equal("750", Scripts.Mode(Path.Combine(r, "etc/edgeguard/tls")));
        Assert.Equal("640", Scripts.Mode(Path.Combine(r, "etc/edgeguard/tls/gateway.key")));
        Assert.Equal("644", Scripts.Mode(Path.Combine(r, "etc/edgeguard/tls/gateway.crt")));
        Assert.Equal("750", Scripts.Mode(Path.Combine(r, "var/lib/edgeguard")));
        Assert.Equal(await File.ReadAllTextAsync(release.KeyFile), await File.ReadAllTextAsync(Path.Combine(r, "etc/edgeguard/tls/gateway.key")));
        if (Scripts.IsRoot)
        {
            // Root owns config and key, the service reads them through its group; it owns its state.
            Assert.Equal($"0:{EdgeGuardId}", Scripts.Owner(Path.Combine(r, "etc/edgeguard/appsettings.json")));
            Assert.Equal($"0:{EdgeGuardId}", Scripts.Owner(Path.Combine(r, "etc/edgeguard/tls/gateway.key")));
            Assert.Equal($"{EdgeGuardId}:{EdgeGuardId}", Scripts.Owner(Path.Combine(r, "var/lib/edgeguard")));
        }
        else
        {
            Assert.Contains("ownership not set", first.Output, StringComparison.Ordinal);
        }

        Assert.Equal(ReleaseFixture.Version, new FileInfo(Path.Combine(r, "opt/edgeguard/current")).LinkTarget);
        Assert.Equal("755", Scripts.Mode(Path.Combine(r, "opt/edgeguard/current/edgeguard")));
        // A verb without --config finds no sample to run on: it says so and exits 2.
        var bare = await RunInstalledAsync(Path.Combine(r, "opt/edgeguard/current/edgeguard"), "validate");
        Assert.True(bare.ExitCode == 2, bare.All);
        Assert.Contains("configuration file not found", bare.All, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "deploy/edgeguard.service")),
            await File.ReadAllTextAsync(Path.Combine(r, "etc/systemd/system/edgeguard.service")));
        Assert.Equal("/etc/systemd/system/edgeguard.service",
            new FileInfo(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")).LinkTarget);

        var before = await Scripts.TreeListingAsync(r);
        var second = await release.Provision(r);

        Assert.True(second.ExitCode == 0, second.All);
        Assert.Equal(before, await Scripts.TreeListingAsync(r));
        Assert.Contains("nothing changed", second.Output, StringComparison.Ordinal);
        Assert.Contains("unchanged  /etc/edgeguard/appsettings.json", second.Output, StringComparison.Ordinal);
        Assert.Contains($"Configuration is valid: site {Site}, gateway {Gateway}", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Output.Split('\n'), line => ChangeWords.Any(word => line.StartsWith($"  {word} ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_config_the_validator_refuses_aborts_with_its_message_enables_nothing_and_leaves_an_installed_config_alone()
    {
        // A URL where a host name belongs: only the gateway's validator knows that is wrong.
        const string badBroker = "office.example/mqtt:8883";
        using var fresh = BookwormRoot();

        var refused = await release.Provision(fresh.Path, badBroker);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("EdgeGuard:mqtt:host: host 'office.example/mqtt' must be a host name or an IP address", refused.Error, StringComparison.Ordinal);
        Assert.Contains("refused by edgeguard validate; nothing was enabled", refused.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "etc/systemd/system/edgeguard.service")));
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "opt/edgeguard/current")));
        Assert.Empty(Directory.GetFiles(Path.Combine(fresh.Path, "etc/edgeguard")));

        // On a provisioned gateway the refused config never replaces the working one.
        using var provisioned = await release.ProvisionedRootAsync();
        var config = Path.Combine(provisioned.Path, "etc/edgeguard/appsettings.json");
        var working = await File.ReadAllTextAsync(config);

        var again = await release.Provision(provisioned.Path, badBroker);

        Assert.Equal(1, again.ExitCode);
        Assert.Equal(working, await File.ReadAllTextAsync(config));
        Assert.False(Path.Exists(config + ".new"));
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_validates_and_leaves_the_root_empty()
    {
        // An empty root has no edgeguard account: the plan says the unit would not be enabled.
        using var empty = new TempDirectory();

        var emptyPlan = await release.Provision(empty.Path, "office.example:8883", "--dry-run", "--driver", "libgpiodV2");

        Assert.True(emptyPlan.ExitCode == 0, emptyPlan.All);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
        Assert.Contains("not enabled: edgeguard.service", emptyPlan.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("multi-user.target.wants", emptyPlan.Output, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", emptyPlan.Output, StringComparison.Ordinal);

        // A root with the account: the full plan, and the root is left exactly as it was.
        using var root = BookwormRoot();
        var before = await Scripts.TreeListingAsync(root.Path);

        var plan = await release.Provision(root.Path, "office.example:8883", "--dry-run", "--driver", "libgpiodV2");

        Assert.True(plan.ExitCode == 0, plan.All);
        Assert.Equal(before, await Scripts.TreeListingAsync(root.Path));
        Assert.Contains("would run: apt-get install --no-install-recommends libgpiod3", plan.Output, StringComparison.Ordinal);
        Assert.Contains($"would: installed  /opt/edgeguard/{ReleaseFixture.Version}/", plan.Output, StringComparison.Ordinal);
        Assert.Contains("would: installed  /etc/edgeguard/appsettings.json", plan.Output, StringComparison.Ordinal);
        Assert.Contains("would: installed  /etc/edgeguard/tls/gateway.key", plan.Output, StringComparison.Ordinal);
        Assert.Contains("would: created  /etc/systemd/system/multi-user.target.wants/edgeguard.service", plan.Output, StringComparison.Ordinal);
        Assert.Contains($"Configuration is valid: site {Site}, gateway {Gateway}", plan.Output, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", plan.Output, StringComparison.Ordinal);
    }

    // A tarball copied without its .sha256 was installed with only "not verified" in the header
    // line: a truncated or damaged copy went unnoticed. The file is required now; --no-checksum is
    // the explicit opt-out (a .sha256 that is there is checked all the same).
    [Fact]
    public async Task A_tarball_without_its_checksum_is_refused_before_anything_is_written_unless_no_checksum_is_given()
    {
        using var scratch = new TempDirectory();
        var copy = Path.Combine(scratch.Path, Path.GetFileName(release.Tarball));
        File.Copy(release.Tarball, copy);
        using var root = BookwormRoot();
        var before = await Scripts.TreeListingAsync(root.Path);

        var refused = await ProvisionWith(copy, root.Path, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null);

        Assert.True(refused.ExitCode == 1, refused.All);
        Assert.Contains($"provision-gateway: error: no {copy}.sha256 beside the tarball", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--no-checksum", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, await Scripts.TreeListingAsync(root.Path));

        var optedOut = await ProvisionWith(copy, root.Path, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null, "--no-checksum");

        Assert.True(optedOut.ExitCode == 0, optedOut.All);
        Assert.Contains($"({copy}.sha256 missing: NOT verified, --no-checksum)", optedOut.Output, StringComparison.Ordinal);
        Assert.Contains("provision-gateway: warning: the tarball was not checked against its .sha256 (--no-checksum)", optedOut.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tarball_that_does_not_match_its_checksum_is_refused_before_anything_is_written()
    {
        using var scratch = new TempDirectory();
        var copy = Path.Combine(scratch.Path, Path.GetFileName(release.Tarball));
        File.Copy(release.Tarball, copy);
        await File.WriteAllTextAsync(copy + ".sha256", $"{new string('0', 64)}  {Path.GetFileName(copy)}\n");
        var root = Path.Combine(scratch.Path, "root");
        Directory.CreateDirectory(root);

        var result = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience,
            "--tarball", copy, "--site", Site, "--gateway", Gateway, "--broker", "office.example:8883",
            "--ca", release.CaFile, "--cert", release.CertFile, "--key", release.KeyFile, "--root", root, "--driver", "libgpiod");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{copy} does not match {copy}.sha256 (corrupted in transit", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task The_clock_is_synced_from_the_broker_host_by_default_or_from_the_given_time_server()
    {
        // Office commands are refused beyond 30 s of clock skew, and a Pi has no RTC: without a
        // time server it can reach, a gateway loses every office command after a power cut.
        using var root = BookwormRoot();

        var first = await release.Provision(root.Path);

        Assert.True(first.ExitCode == 0, first.All);
        var lines = await DropInAsync(root);
        Assert.Equal(["[Time]", "NTP=office.example", "FallbackNTP="], lines.Where(l => !l.StartsWith('#')));
        Assert.Equal("644", Scripts.Mode(Path.Combine(root.Path, TimeSyncDropIn)));
        Assert.Contains("time server office.example", first.Output, StringComparison.Ordinal);
        Assert.Contains("skipped (--root): apt-get install --no-install-recommends systemd-timesyncd", first.Output, StringComparison.Ordinal);
        Assert.Contains("skipped (--root): timedatectl set-ntp true", first.Output, StringComparison.Ordinal);

        var own = await release.Provision(root.Path, "office.example:8883", "--time-server", "10.8.0.1");

        Assert.True(own.ExitCode == 0, own.All);
        Assert.Contains("updated  /etc/systemd/timesyncd.conf.d/edgeguard.conf (NTP=10.8.0.1)", own.Output, StringComparison.Ordinal);
        Assert.Contains("NTP=10.8.0.1", await DropInAsync(root));

        var bad = await release.Provision(root.Path, "office.example:8883", "--time-server", "ntp.example:123");

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--time-server must be a host name or an IP address", bad.Error, StringComparison.Ordinal);
        Assert.Contains("NTP=10.8.0.1", await DropInAsync(root));
    }

    // A re-run to renew a certificate, as the READMEs show it, gives no --time-server: it put a site's
    // GPS clock back to the broker's host, and a site that cannot reach NTP there drifted until every
    // office command was refused for its time.
    [Fact]
    public async Task A_re_run_without_time_server_keeps_the_one_an_earlier_run_was_given_but_follows_the_broker_by_default()
    {
        using var root = BookwormRoot();
        var given = await release.Provision(root.Path, "office.example:8883", "--time-server", "10.8.0.1");
        Assert.True(given.ExitCode == 0, given.All);

        var again = await release.Provision(root.Path, "office2.example:8883");

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("time server 10.8.0.1 (kept: given by an earlier run)", again.Output, StringComparison.Ordinal);
        Assert.Contains("unchanged  /etc/systemd/timesyncd.conf.d/edgeguard.conf (NTP=10.8.0.1)", again.Output, StringComparison.Ordinal);

        // Given as the broker's host, it follows the broker again.
        Assert.Equal(0, (await release.Provision(root.Path, "office2.example:8883", "--time-server", "office2.example")).ExitCode);
        var follows = await release.Provision(root.Path, "office3.example:8883");
        Assert.True(follows.ExitCode == 0, follows.All);
        Assert.Contains("NTP=office3.example", await DropInAsync(root));

        // The default is not remembered: with the drop-in at the broker's host, a new broker moves it.
        using var other = BookwormRoot();
        Assert.Equal(0, (await release.Provision(other.Path, "office.example:8883")).ExitCode);
        var moved = await release.Provision(other.Path, "office2.example:8883");
        Assert.True(moved.ExitCode == 0, moved.All);
        Assert.Contains("NTP=office2.example", await DropInAsync(other));
    }

    // The config is switched before the drop-in: a run that stopped between them (a full card at the
    // drop-in's rename) left the old broker's host beside the new broker's config. Judged by the host,
    // the re-run the warning asks for took the old broker for a given server and kept it for good.
    [Fact]
    public async Task A_drop_in_at_the_broker_by_default_follows_the_broker_even_beside_another_configs_host()
    {
        using var root = BookwormRoot();
        Assert.Equal(0, (await release.Provision(root.Path, "office2.example:8883")).ExitCode);
        var lines = await DropInAsync(root);
        await File.WriteAllLinesAsync(Path.Combine(root.Path, TimeSyncDropIn), lines.Select(l => l.StartsWith("NTP=", StringComparison.Ordinal) ? "NTP=office.example" : l));

        var again = await release.Provision(root.Path, "office2.example:8883");

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("NTP=office2.example", await DropInAsync(root));
    }

    // A drop-in written by a release before its first line said where its server came from: one naming
    // another host than the installed config's broker was given, and is kept as well.
    [Fact]
    public async Task A_time_server_an_older_release_was_given_is_kept_by_a_re_run_without_it()
    {
        using var root = BookwormRoot();
        Assert.Equal(0, (await release.Provision(root.Path, "office.example:8883")).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(root.Path, TimeSyncDropIn),
            "# Written by EdgeGuard's provision-gateway.sh (--time-server); changed by running it again.\n[Time]\nNTP=10.8.0.1\nFallbackNTP=\n");

        var again = await release.Provision(root.Path, "office.example:8883");

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("time server 10.8.0.1 (kept: given by an earlier run)", again.Output, StringComparison.Ordinal);
        Assert.Contains("NTP=10.8.0.1", await DropInAsync(root));
    }

    [Fact]
    public async Task The_fallback_directory_gets_a_tmpfiles_entry_so_it_exists_at_every_boot_and_a_second_run_keeps_it()
    {
        // /run/edgeguard (the journal's fallback and the gateway's second lock) is made by the unit
        // only when it starts: after a boot with the unit disabled the walk test, run as the
        // gateway's user, cannot create it and refuses. systemd-tmpfiles makes it at boot instead.
        const string entry = "etc/tmpfiles.d/edgeguard.conf";
        using var root = BookwormRoot();

        var first = await release.Provision(root.Path);

        Assert.True(first.ExitCode == 0, first.All);
        var lines = await File.ReadAllLinesAsync(Path.Combine(root.Path, entry));
        Assert.Equal(["d /run/edgeguard 0750 edgeguard edgeguard -"], lines.Where(l => l.Length > 0 && !l.StartsWith('#')));
        Assert.Equal("644", Scripts.Mode(Path.Combine(root.Path, entry)));
        Assert.Equal("755", Scripts.Mode(Path.Combine(root.Path, "etc/tmpfiles.d")));
        if (Scripts.IsRoot)
        {
            Assert.Equal("0:0", Scripts.Owner(Path.Combine(root.Path, entry)));
        }

        Assert.Contains("installed  /etc/tmpfiles.d/edgeguard.conf (d /run/edgeguard 0750 edgeguard edgeguard)", first.Output, StringComparison.Ordinal);
        // The target's /run is a tmpfs of the machine that boots it: its boot creates the directory.
        Assert.Contains("skipped (--root): systemd-tmpfiles --create /etc/tmpfiles.d/edgeguard.conf", first.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "run")));
        // The unit makes the same directory when it starts, and must neither change its mode or
        // owner nor remove it at stop (the walk test takes its lock there).
        var unit = await File.ReadAllLinesAsync(Path.Combine(root.Path, "etc/systemd/system/edgeguard.service"));
        foreach (var setting in new[] { "User=edgeguard", "Group=edgeguard", "RuntimeDirectory=edgeguard", "RuntimeDirectoryMode=0750", "RuntimeDirectoryPreserve=yes" })
        {
            Assert.Contains(setting, unit);
        }

        var before = await Scripts.TreeListingAsync(root.Path);
        var second = await release.Provision(root.Path);

        Assert.True(second.ExitCode == 0, second.All);
        Assert.Equal(before, await Scripts.TreeListingAsync(root.Path));
        Assert.Contains("unchanged  /etc/tmpfiles.d/edgeguard.conf", second.Output, StringComparison.Ordinal);
        Assert.Contains("skipped (--root): systemd-tmpfiles --create /etc/tmpfiles.d/edgeguard.conf", second.Output, StringComparison.Ordinal);
        Assert.Contains("nothing changed", second.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs the installed executable (the framework-dependent apphost finds this test's runtime).</summary>
    private static async Task<Scripts.Result> RunInstalledAsync(string executable, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
        {
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(host);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(cts.Token);
        return new Scripts.Result(process.ExitCode, await output, await error);
    }
}
