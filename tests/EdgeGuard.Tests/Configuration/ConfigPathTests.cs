using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A path value of the config with a control character in it (a NUL from <c>\u0000</c>, a tab or
/// newline from a hand edit) is a config problem at that path, listed with the others, exit 2.
/// Before, a TLS file's NUL reached <c>File.GetUnixFileMode</c>, whose ArgumentException ended
/// <c>run</c> and <c>validate</c> with a stack trace and exit 1: systemd restarts exit 1 until its
/// start limit reboots the gateway, and again after the reboot. And a relative path is the config
/// file's folder's, in every verb, never the working directory's.
/// </summary>
public sealed class ConfigPathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Every path the config names (files and directories the gateway opens or creates).</summary>
    public static TheoryData<string> PathKeys() =>
    [
        "stateDirectory",
        "journal:fallbackDirectory",
        "simulation:controlSocket",
        "mqtt:tls:caFile",
        "mqtt:tls:certFile",
        "mqtt:tls:keyFile",
        "commands:operators:0:publicKeyFile",
    ];

    [Theory]
    [MemberData(nameof(PathKeys))]
    public void A_nul_character_in_a_path_is_an_error_at_that_path_when_validating_and_at_run(string key)
    {
        foreach (var loadFiles in new[] { true, false })
        {
            ConfigResult? result = null;
            var thrown = Record.Exception(() => result = TestConfigs.Read(k => WithPath(k, key, "/etc/edgeguard/ca\0.pem"), loadFiles: loadFiles));

            Assert.Null(thrown);
            TestConfigs.AssertError(result!, $"EdgeGuard:{key}", "control character", "U+0000");
        }
    }

    [Theory]
    [InlineData("/etc/edgeguard/tls/ca.pem\n", "U+000A")]
    [InlineData("/etc/edgeguard/tls/\tca.pem", "U+0009")]
    [InlineData("/etc/edgeguard/tls/ca\u007f.pem", "U+007F")]
    public void Other_control_characters_in_a_tls_path_are_errors_too(string path, string named)
    {
        var result = TestConfigs.Read(k => WithPath(k, "mqtt:tls:caFile", path), loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:caFile", "control character", named);
    }

    [Fact]
    public async Task Validate_of_a_file_with_a_nul_in_a_tls_path_lists_it_and_exits_2()
    {
        var path = SampleWith(eg => eg["mqtt"] = new JsonObject
        {
            ["host"] = "office.example",
            ["tls"] = new JsonObject { ["enabled"] = true, ["caFile"] = "/etc/edgeguard/tls/ca\0.pem" },
        });

        var (code, _, error) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("EdgeGuard:mqtt:tls:caFile:", error, StringComparison.Ordinal);
        Assert.Contains("U+0000", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_it_with_the_problem_list_instead_of_throwing()
    {
        var path = SampleWith(eg => eg["mqtt"] = new JsonObject
        {
            ["host"] = "office.example",
            ["tls"] = new JsonObject { ["enabled"] = true, ["caFile"] = "/etc/edgeguard/tls/ca\0.pem" },
        });
        using var error = new StringWriter();

        // As the site's gateway reads it: simulated hardware would refuse the office's broker besides.
        var loaded = RunVerbHandler.Load(path, simulate: false, error, warn: true);

        Assert.Null(loaded);
        Assert.Contains("EdgeGuard:mqtt:tls:caFile:", error.ToString(), StringComparison.Ordinal);
    }

    // deploy/render-config.py must accept what the gateway accepts (DeployRenderConfigTests): the
    // gateway's JSON reader skips // comments and allows trailing commas.
    [Fact]
    public void The_gateway_reads_a_config_with_comments_and_trailing_commas()
    {
        var file = Path.Combine(_dir.Path, "appsettings.json");
        var sample = File.ReadAllText(TestConfigs.SamplePath);
        var lastBrace = sample.LastIndexOf('}');
        File.WriteAllText(file, "// pin map of embassy-x\n/* lobby gateway */\n" + sample[..lastBrace] + ",\n}\n");

        var loaded = GatewayConfigLoader.Build(file);

        Assert.Empty(loaded.Errors);
        Assert.Equal("embassy-demo", loaded.Configuration["EdgeGuard:site"]);
    }

    // Provisioning validates from a shell (cwd /etc/edgeguard, or the technician's home) and systemd
    // runs the gateway with WorkingDirectory=/var/lib/edgeguard: a relative key file taken from the
    // working directory was found by one and not by the other, so validate passed and that
    // operator's commands were refused at run. Relative paths are the config file's folder's now,
    // in every verb; this test's working directory is the test binaries', not that folder.
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Relative_paths_are_taken_from_the_config_files_folder_not_the_working_directory()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keys = Directory.CreateDirectory(Path.Combine(_dir.Path, "keys")).FullName;
        File.SetUnixFileMode(keys, (UnixFileMode)0b111_101_101);
        var pub = Path.Combine(keys, "sup.jones.pub.pem");
        File.WriteAllText(pub, key.ExportSubjectPublicKeyInfoPem());
        File.SetUnixFileMode(pub, (UnixFileMode)0b110_100_100);
        var path = SampleWith(eg =>
        {
            eg["stateDirectory"] = "state";
            eg["simulation"] = new JsonObject { ["controlSocket"] = "run/sim.sock" };
            eg["commands"] = new JsonObject
            {
                ["operators"] = new JsonArray(new JsonObject { ["name"] = "sup.jones", ["role"] = "supervisor", ["publicKeyFile"] = "keys/sup.jones.pub.pem" }),
            };
        });
        Assert.NotEqual(_dir.Path, Environment.CurrentDirectory);

        var validated = RunVerbHandler.Load(path, simulate: true, TextWriter.Null, loadFiles: true);

        Assert.NotNull(validated);
        var config = validated.Value.Config;
        Assert.Equal(pub, config.Commands.KeyFiles["sup.jones"]);
        Assert.Equal(Path.Combine(_dir.Path, "state"), config.StateDirectory);
        Assert.Equal(Path.Combine(_dir.Path, "run", "sim.sock"), config.Simulation.ControlSocket);
    }

    [Fact]
    public void Relative_tls_files_are_taken_from_the_config_files_folder_and_named_in_full()
    {
        var path = SampleWith(eg => eg["mqtt"] = new JsonObject
        {
            ["host"] = "office.example",
            ["tls"] = new JsonObject { ["caFile"] = "tls/ca.pem", ["certFile"] = " tls/gw.crt", ["keyFile"] = "../tls/gw.key" },
        });

        // As the site's gateway reads it: simulated hardware refuses the office's broker (RunSimulateTests).
        var result = GatewayConfigLoader.Load(path, simulate: false);

        Assert.True(result.IsValid, result.ToReport());
        var tls = result.Config!.Mqtt.Tls!;
        Assert.Equal(Path.Combine(_dir.Path, "tls", "ca.pem"), tls.CaCertificateFile);
        Assert.Equal(Path.Combine(_dir.Path, "tls", "gw.crt"), tls.ClientCertificateFile);
        Assert.Equal(Path.Combine(Path.GetDirectoryName(_dir.Path)!, "tls", "gw.key"), tls.ClientKeyFile);
        Assert.Contains(result.Warnings, w => w.Path == "EdgeGuard:mqtt:tls:caFile" && w.Message.StartsWith($"file '{Path.Combine(_dir.Path, "tls", "ca.pem")}' does not exist", StringComparison.Ordinal));
    }

    // A short relative controlSocket beside a deeply nested config is made absolute like every
    // path, and the result can exceed what a Unix socket path may hold (sun_path, 107 bytes): it
    // cannot be bound, so it stays refused, but the message says what the short value became and
    // how long it is, and what to write instead.
    [Fact]
    public void A_relative_control_socket_too_long_once_resolved_is_refused_naming_the_full_path_and_the_way_out()
    {
        var deep = Directory.CreateDirectory(Path.Combine(_dir.Path, new string('d', 60), new string('e', 50))).FullName;
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir.Path, "state");
        json["EdgeGuard"]!["simulation"]!["controlSocket"] = "sim.sock";
        var path = Path.Combine(deep, "appsettings.json");
        File.WriteAllText(path, json.ToJsonString());
        var socket = Path.Combine(deep, "sim.sock");

        var result = GatewayConfigLoader.Load(path, simulate: true);

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:simulation:controlSocket", error.Path);
        Assert.Equal(
            $"controlSocket 'sim.sock', taken from the config file's folder, is '{socket}', {System.Text.Encoding.UTF8.GetByteCount(socket)} bytes long; a Unix socket path may be at most 107 bytes, so set controlSocket to an absolute path of at most 107 bytes (such as /tmp/edgeguard-sim.sock) or a shorter relative one",
            error.Message);
    }

    // A configuration read without a file (tests, tools) takes them from the working directory, once:
    // the config it gives holds absolute paths, whatever the working directory is later.
    [Fact]
    public void Without_a_file_relative_paths_are_made_absolute_from_the_working_directory()
    {
        var result = TestConfigs.Read(k => k.Set("stateDirectory", "state"));

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "state"), result.Config!.StateDirectory);
    }

    private static void WithPath(Dictionary<string, string?> keys, string key, string path)
    {
        if (key.StartsWith("mqtt:tls:", StringComparison.Ordinal))
        {
            keys.Set("mqtt:host", "office.example");
            keys.Set("mqtt:tls:enabled", "true");
        }
        else if (key.StartsWith("commands:operators:0:", StringComparison.Ordinal))
        {
            keys.Set("commands:operators:0:name", "sup.jones");
            keys.Set("commands:operators:0:role", "supervisor");
        }

        keys.Set(key, path);
    }

    private string SampleWith(Action<JsonNode> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir.Path, "state");
        edit(json["EdgeGuard"]!);
        var path = Path.Combine(_dir.Path, "appsettings.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
