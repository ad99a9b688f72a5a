using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// deploy/provision-gateway.sh run for real with <c>--root</c> into scratch trees: what a technician
/// gets on a gateway, that the release's own validator guards the config, and that a second run
/// touches nothing.
/// </summary>
public sealed class ProvisionTests(ReleaseFixture release) : IClassFixture<ReleaseFixture>
{
    private const string Site = "embassy-x";
    private const string Gateway = "gw-lobby";
    private const int EdgeGuardId = 990;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static readonly string[] ChangeWords = ["installed", "updated", "created", "removed", "fixed", "added", "enabled"];

    /// <summary>
    /// A root like a Bookworm system on which the edgeguard account already exists, in the groups
    /// gpio, i2c and spi (as useradd in provision-gateway.sh makes it); <paramref name="groups"/>
    /// replaces those three lines of etc/group.
    /// </summary>
    private static TempDirectory BookwormRoot(string? groups = null)
    {
        var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "etc"));
        File.WriteAllText(Path.Combine(root.Path, "etc/os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n");
        File.WriteAllText(Path.Combine(root.Path, "etc/passwd"), $"root:x:0:0:root:/root:/bin/bash\nedgeguard:x:{EdgeGuardId}:{EdgeGuardId}::/var/lib/edgeguard:/usr/sbin/nologin\n");
        groups ??= "gpio:x:993:edgeguard\ni2c:x:994:edgeguard\nspi:x:995:pi,edgeguard\n";
        File.WriteAllText(Path.Combine(root.Path, "etc/group"), $"root:x:0:\n{groups}edgeguard:x:{EdgeGuardId}:\n");
        return root;
    }

    private Task<Scripts.Result> Provision(string root, string broker = "office.example:8883", params string[] extra) =>
        ProvisionWith(release.Tarball, root, broker, (release.CaFile, release.CertFile, release.KeyFile), null, extra);

    private static Task<Scripts.Result> ProvisionWith(
        string tarball, string root, string broker, (string Ca, string Cert, string Key) tls,
        IReadOnlyDictionary<string, string>? environment, params string[] extra) =>
        Scripts.RunAsync("deploy/provision-gateway.sh", Patience, environment ?? new Dictionary<string, string>(StringComparer.Ordinal),
        [
            "--tarball", tarball, "--site", Site, "--gateway", Gateway, "--broker", broker,
            "--ca", tls.Ca, "--cert", tls.Cert, "--key", tls.Key, "--root", root, .. extra,
        ]);

    /// <summary>
    /// A PATH whose <c>cp</c> fails like a full SD card (a truncated file, then an error) when
    /// the destination ends with <paramref name="destinationSuffix"/>; every other copy is the real cp.
    /// </summary>
    private static Dictionary<string, string> DiskFullFor(TempDirectory scratch, string destinationSuffix)
    {
        var bin = Path.Combine(scratch.Path, "bin");
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, "cp");
        File.WriteAllText(shim, $$"""
            #!/bin/sh
            src="" dest=""
            for arg in "$@"; do src=$dest dest=$arg; done
            case "$dest" in
              *'{{destinationSuffix}}')
                head -c 7 "$src" >"$dest"
                echo "cp: error writing '$dest': No space left on device" >&2
                exit 1 ;;
            esac
            exec /bin/cp "$@"

            """);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
    }

    private static string[] Leftovers(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".new", StringComparison.Ordinal) || p.EndsWith(".provision-tmp", StringComparison.Ordinal))
            .ToArray();

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
                     "MANIFEST", "app/edgeguard", "app/edgeguard.dll", "app/appsettings.json", "config/appsettings.json",
                     "config/samples/annex-io-board.json", "deploy/provision-gateway.sh", "deploy/provision-lib.sh", "deploy/render-config.py",
                     "deploy/edgeguard.service", "deploy/README.md", "hardware/README.md",
                 })
        {
            Assert.True(entries.ContainsKey(top + file), $"{top + file} missing from the tarball");
        }

        Assert.True(entries[top + "app/edgeguard"].HasFlag(UnixFileMode.UserExecute));
        Assert.True(entries[top + "deploy/provision-gateway.sh"].HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public async Task Provisioning_installs_a_validated_gateway_and_a_second_run_changes_nothing()
    {
        using var root = BookwormRoot();
        var r = root.Path;

        var first = await Provision(r);

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
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "deploy/edgeguard.service")),
            await File.ReadAllTextAsync(Path.Combine(r, "etc/systemd/system/edgeguard.service")));
        Assert.Equal("/etc/systemd/system/edgeguard.service",
            new FileInfo(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")).LinkTarget);

        var before = await Scripts.TreeListingAsync(r);
        var second = await Provision(r);

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

        var refused = await Provision(fresh.Path, badBroker);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("EdgeGuard:mqtt:host: host 'office.example/mqtt' must be a host name or an IP address", refused.Error, StringComparison.Ordinal);
        Assert.Contains("refused by edgeguard validate; nothing was enabled", refused.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "etc/systemd/system/edgeguard.service")));
        Assert.False(Path.Exists(Path.Combine(fresh.Path, "opt/edgeguard/current")));
        Assert.Empty(Directory.GetFiles(Path.Combine(fresh.Path, "etc/edgeguard")));

        // On a provisioned gateway the refused config never replaces the working one.
        using var provisioned = BookwormRoot();
        Assert.Equal(0, (await Provision(provisioned.Path)).ExitCode);
        var config = Path.Combine(provisioned.Path, "etc/edgeguard/appsettings.json");
        var working = await File.ReadAllTextAsync(config);

        var again = await Provision(provisioned.Path, badBroker);

        Assert.Equal(1, again.ExitCode);
        Assert.Equal(working, await File.ReadAllTextAsync(config));
        Assert.False(Path.Exists(config + ".new"));
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_validates_and_leaves_the_root_empty()
    {
        // An empty root has no edgeguard account: the plan says the unit would not be enabled.
        using var empty = new TempDirectory();

        var emptyPlan = await Provision(empty.Path, "office.example:8883", "--dry-run", "--driver", "libgpiodV2");

        Assert.True(emptyPlan.ExitCode == 0, emptyPlan.All);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
        Assert.Contains("not enabled: edgeguard.service", emptyPlan.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("multi-user.target.wants", emptyPlan.Output, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", emptyPlan.Output, StringComparison.Ordinal);

        // A root with the account: the full plan, and the root is left exactly as it was.
        using var root = BookwormRoot();
        var before = await Scripts.TreeListingAsync(root.Path);

        var plan = await Provision(root.Path, "office.example:8883", "--dry-run", "--driver", "libgpiodV2");

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
        Assert.Contains("does not match", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

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
        var cleanup = await Provision(r);
        Assert.True(cleanup.ExitCode == 0, cleanup.All);
        Assert.False(Path.Exists(Path.Combine(opt, c, "stray.txt")));
        Assert.Contains($"installed  /opt/edgeguard/{c}/ (1 of", cleanup.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_config_leaves_the_installed_certificate_and_key_alone()
    {
        using var root = BookwormRoot();
        var r = root.Path;
        Assert.Equal(0, (await Provision(r)).ExitCode);
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
        using var root = BookwormRoot();
        var r = root.Path;
        Assert.Equal(0, (await Provision(r)).ExitCode);
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

    [Fact]
    public async Task Under_root_the_unit_is_not_enabled_when_the_tree_has_no_service_account_or_device_groups()
    {
        // No gpio/i2c/spi groups: the unit would fail at every start (216/GROUP).
        using var noGroups = BookwormRoot(groups: "");
        var r = noGroups.Path;

        var result = await Provision(r);

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
        var partial = await Provision(r);
        Assert.True(partial.ExitCode == 0, partial.All);
        Assert.Contains("edgeguard in group gpio, edgeguard in group spi", partial.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));

        // Once the tree has them, the same run enables it.
        await File.WriteAllTextAsync(Path.Combine(r, "etc/group"), $"root:x:0:\ngpio:x:993:pi,edgeguard\ni2c:x:994:edgeguard\nspi:x:995:edgeguard\nedgeguard:x:{EdgeGuardId}:\n");
        var enabled = await Provision(r);
        Assert.True(enabled.ExitCode == 0, enabled.All);
        Assert.DoesNotContain("not enabled", enabled.All, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/etc/systemd/system/edgeguard.service",
            new FileInfo(Path.Combine(r, "etc/systemd/system/multi-user.target.wants/edgeguard.service")).LinkTarget);

        // No account at all (a stock image): not enabled, files stay root's.
        using var bare = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(bare.Path, "etc"));
        await File.WriteAllTextAsync(Path.Combine(bare.Path, "etc/os-release"), "VERSION_CODENAME=bookworm\n");
        var stock = await Provision(bare.Path);
        Assert.True(stock.ExitCode == 0, stock.All);
        Assert.Contains("user edgeguard (etc/passwd)", stock.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(bare.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
    }
}
