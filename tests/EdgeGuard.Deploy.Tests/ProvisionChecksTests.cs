using System.Security.Cryptography;
using System.Text.Json.Nodes;

using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// What provision-gateway.sh checks before it installs anything: the certificate and key it is given,
/// the files it lists, the operators' key files under <c>--root</c>, and that <c>--no-tls</c> writes
/// a config the gateway accepts.
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionChecksTests(ReleaseFixture release)
{
    [Fact]
    public async Task No_tls_to_an_isolated_test_broker_writes_tls_explicitly_off_and_validates()
    {
        using var root = BookwormRoot();

        // Not on loopback: the gateway accepts plain MQTT to it only with tls.enabled false.
        var result = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience,
            "--tarball", release.Tarball, "--site", Site, "--gateway", Gateway, "--broker", "testbroker.lan:1883",
            "--no-tls", "--root", root.Path, "--demo");

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains($"Configuration is valid: site {Site}, gateway {Gateway}", result.Output, StringComparison.Ordinal);
        var mqtt = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root.Path, "etc/edgeguard/appsettings.json")))!["EdgeGuard"]!["mqtt"]!;
        Assert.Equal("""{"enabled":false}""", mqtt["tls"]!.ToJsonString());
    }

    // An id is 1-64 of a-z 0-9 - _, so one may begin with '-'. render-config.py's parser took
    // "--site -east" for a missing value, and the run stopped with "cannot write the configuration".
    [Fact]
    public async Task Ids_that_begin_with_a_dash_reach_the_configuration()
    {
        using var root = BookwormRoot();

        var result = await Scripts.RunAsync("deploy/provision-gateway.sh", Patience,
            "--tarball", release.Tarball, "--site", "-east", "--gateway", "-gw1", "--broker", "testbroker.lan:1883",
            "--no-tls", "--root", root.Path, "--demo");

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("Configuration is valid: site -east, gateway -gw1", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_service_account_in_the_tree_the_report_does_not_name_owners_it_did_not_set()
    {
        using var root = BookwormRoot();
        File.WriteAllText(Path.Combine(root.Path, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");

        var result = await release.Provision(root.Path);

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("ownership not set", result.Output, StringComparison.Ordinal);
        // A technician reading "750 edgeguard:edgeguard" believes the service can write its state.
        Assert.Contains("/var/lib/edgeguard/ (750, owner not set)", result.Output, StringComparison.Ordinal);
        Assert.Contains("/etc/edgeguard/appsettings.json (640, owner not set)", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(":edgeguard)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_root_the_operators_key_files_are_checked_in_the_tree_not_on_this_machine()
    {
        using var root = BookwormRoot();
        using var scratch = new TempDirectory();
        const string keyPath = "/etc/edgeguard/operators/sup.jones.pub.pem";
        var template = Path.Combine(scratch.Path, "template.json");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        config["EdgeGuard"]!["commands"] = new JsonObject
        {
            ["operators"] = new JsonArray(new JsonObject
            {
                ["name"] = "sup.jones", ["role"] = "supervisor", ["publicKeyFile"] = keyPath, ["sites"] = new JsonArray(Site),
            }),
        };
        await File.WriteAllTextAsync(template, config.ToJsonString());

        // Not in the tree yet: refused, naming the file in the tree.
        var missing = await release.Provision(root.Path, "office.example:8883", "--config-template", template);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"file '{root.Path}{keyPath}' does not exist", missing.Error, StringComparison.Ordinal);

        // Put into the tree (the SD card), never on this machine's /: accepted.
        Assert.False(File.Exists(keyPath));
        Directory.CreateDirectory(Path.GetDirectoryName(root.Path + keyPath)!);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(root.Path + keyPath, key.ExportSubjectPublicKeyInfoPem());
        }

        var present = await release.Provision(root.Path, "office.example:8883", "--config-template", template);

        Assert.True(present.ExitCode == 0, present.All);
        Assert.Contains($"Configuration is valid: site {Site}, gateway {Gateway}", present.Output, StringComparison.Ordinal);
    }

    // The validator looked threatLevels.timeZone up in this machine's tz database: a zone the
    // card lacks (Trixie moved legacy names such as Asia/Calcutta to tzdata-legacy) passed, the
    // unit was enabled, and on the gateway `run` refused the config (exit 2, never restarted).
    [Fact]
    public async Task Under_root_the_time_zone_is_looked_up_in_the_trees_tz_database()
    {
        using var root = BookwormRoot();
        using var scratch = new TempDirectory();
        var template = await TemplateWithTimeZone(scratch, "Asia/Calcutta");
        var zoneinfo = Path.Combine(root.Path, "usr/share/zoneinfo");
        Directory.CreateDirectory(Path.Combine(zoneinfo, "Asia"));
        File.Copy("/usr/share/zoneinfo/Asia/Kolkata", Path.Combine(zoneinfo, "Asia/Kolkata"));

        var missing = await release.Provision(root.Path, "office.example:8883", "--config-template", template);

        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("time zone 'Asia/Calcutta' is not known", missing.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));

        // The card's own database has it (tzdata-legacy installed in the tree): accepted.
        File.Copy("/usr/share/zoneinfo/Asia/Kolkata", Path.Combine(zoneinfo, "Asia/Calcutta"));
        var present = await release.Provision(root.Path, "office.example:8883", "--config-template", template);

        Assert.True(present.ExitCode == 0, present.All);
    }

    [Fact]
    public async Task Under_root_a_time_zone_in_a_tree_without_a_tz_database_is_refused_saying_so()
    {
        using var root = BookwormRoot();
        using var scratch = new TempDirectory();
        var template = await TemplateWithTimeZone(scratch, "Europe/Berlin");

        var result = await release.Provision(root.Path, "office.example:8883", "--config-template", template);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{root.Path}/usr/share/zoneinfo", result.Error, StringComparison.Ordinal);
        Assert.Contains("threatLevels.timeZone 'Europe/Berlin'", result.Error, StringComparison.Ordinal);
        Assert.Contains("tzdata", result.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/edgeguard/appsettings.json")));
    }

    [Fact]
    public async Task A_certificate_and_key_given_the_wrong_way_round_are_refused()
    {
        using var root = BookwormRoot();

        // Neither openssl command can read its file: two empty outputs must not pass as a match.
        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883",
            (release.CaFile, release.KeyFile, release.CertFile), null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--cert '{release.KeyFile}' is not a PEM certificate", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));
    }

    [Fact]
    public async Task A_certificate_issued_to_another_gateway_is_refused()
    {
        using var scratch = new TempDirectory();
        var pki = new TestPki(scratch.Path);
        var (cert, key) = pki.IssueClient("gw-chancery");
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, cert, key), null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--cert is issued to CN 'gw-chancery', not to gateway '{Gateway}'", result.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/edgeguard/appsettings.json")));
    }

    private static async Task<string> TemplateWithTimeZone(TempDirectory scratch, string zone)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        config["EdgeGuard"]!["threatLevels"]!["timeZone"] = zone;
        var template = Path.Combine(scratch.Path, "site.json");
        await File.WriteAllTextAsync(template, config.ToJsonString());
        return template;
    }

    [Fact]
    public async Task A_listing_of_the_release_that_fails_half_way_stops_the_run()
    {
        using var root = await release.ProvisionedRootAsync();
        using var scratch = new TempDirectory();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883",
            (release.CaFile, release.CertFile, release.KeyFile), ListingFailsHalfWay(scratch));

        // The defect: the one file listed was "unchanged", and the run ended "nothing changed".
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot list the release's files", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing changed", result.Output, StringComparison.Ordinal);
    }
}
