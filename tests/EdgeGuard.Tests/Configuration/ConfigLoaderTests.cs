using System.Text.Json.Nodes;
using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

public sealed partial class ConfigLoaderTests
{
    [Fact]
    public void Environment_style_overrides_change_values()
    {
        var loaded = GatewayConfigLoader.Build(TestConfigs.SamplePath,
            ["EdgeGuard__points__0__line=18", "EdgeGuard__mqtt__host=office.example", "EdgeGuard__mqtt__tls__revocation=offline", "EdgeGuard:lockdown:sirenSeconds=300"]);

        Assert.Empty(loaded.Errors);
        var result = GatewayConfigReader.Read(loaded.Configuration);
        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(18, result.Config!.Site.Point("door-lobby").Line);
        Assert.Equal("office.example", result.Config.Mqtt.Host);
        Assert.True(result.Config.Mqtt.Tls!.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(300), result.Config.Site.Lockdown.SirenDuration);
    }

    [Fact]
    public void Overrides_are_validated_like_the_file()
    {
        var result = GatewayConfigLoader.Load(TestConfigs.SamplePath, ["EdgeGuard__points__1__line=17"]);

        TestConfigs.AssertError(result, "EdgeGuard:points:1:line", "already used by point 'door-lobby'");
    }

    [Fact]
    public void Missing_file_is_an_error_with_the_file_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgeguard-missing-{Guid.NewGuid():N}.json");

        var result = GatewayConfigLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        Assert.Null(result.Config);
    }

    // A file that is there but cannot be opened: for the service's user, one it may not read (a
    // config uploaded as root with mode 600). The framework opens the file outside its error
    // callback, so this threw from Build: a stack trace and exit 1, which systemd restarts into a
    // reboot loop, instead of the problem list and exit 2. A socket stands in for it here because
    // it cannot be opened by any user, root included (open(2) gives ENXIO).
    [Fact]
    public async Task A_file_that_cannot_be_opened_is_an_error_with_the_file_path_and_validate_exits_2()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));

        var result = GatewayConfigLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.StartsWith("cannot read the configuration file: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"file '{path}' is not a regular file but a socket", error.Message, StringComparison.Ordinal);
        Assert.Null(result.Config);
        var (code, _, err) = await Cli.CliRun.InvokeAsync("validate", "--config", path);
        Assert.Equal(2, code);
        Assert.Contains(path, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_is_an_error_with_the_file_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgeguard-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "EdgeGuard": { "site": "x", } ,, }""");
        try
        {
            var result = GatewayConfigLoader.Load(path);

            var error = Assert.Single(result.Errors);
            Assert.Equal(path, error.Path);
            Assert.Contains("cannot read the configuration file", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Duplicate_json_key_is_an_error_not_an_exception()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgeguard-dup-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "EdgeGuard": { "site": "x", "Site": "y" } }""");
        try
        {
            var result = GatewayConfigLoader.Load(path);

            var error = Assert.Single(result.Errors);
            Assert.Equal(path, error.Path);
            Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // A stray brace closed "EdgeGuard" early and drill, mqtt and commands landed at the file's root:
    // the framework keeps them, nothing reads them, and their defaults applied (drills sounded the
    // real siren, no office link, every office command refused). Each is a problem at its path.
    [Fact]
    public void A_section_at_the_files_root_is_an_error_at_its_path_suggesting_it_under_EdgeGuard()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!.AsObject();
        var edgeGuard = json["EdgeGuard"]!.AsObject();
        foreach (var section in new[] { "drill", "mqtt" })
        {
            var moved = edgeGuard[section]!;
            edgeGuard.Remove(section);
            json[section] = moved;
        }

        json["Kestrel"] = new JsonObject { ["Endpoints"] = new JsonObject() };
        json["Loging"] = new JsonObject();
        File.WriteAllText(path, json.ToJsonString());

        var result = GatewayConfigLoader.Load(path);

        Assert.Equal(["drill", "mqtt", "Kestrel", "Loging"], result.Errors.Select(e => e.Path));
        TestConfigs.AssertError(result, "drill", "unknown top-level key 'drill' (did you mean 'EdgeGuard:drill'?", "not applied", "EdgeGuard and Logging");
        TestConfigs.AssertError(result, "mqtt", "did you mean 'EdgeGuard:mqtt'?");
        Assert.DoesNotContain("did you mean", result.Errors[2].Message, StringComparison.Ordinal);
        TestConfigs.AssertError(result, "Loging", "(did you mean 'Logging'?)");
    }

    // Windows editors save UTF-8 with a byte order mark, which the framework's reader skips.
    [Fact]
    public void A_file_with_a_byte_order_mark_is_checked_for_sections_at_its_root_too()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!.AsObject();
        json["drill"] = json["EdgeGuard"]!["drill"]!.DeepClone();
        json["EdgeGuard"]!.AsObject().Remove("drill");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(json.ToJsonString())]);

        var result = GatewayConfigLoader.Load(path);

        TestConfigs.AssertError(result, "drill", "did you mean 'EdgeGuard:drill'?");
    }

    // Environment variables and overrides are not the file's keys: DOTNET_… and the like are
    // everywhere in an environment, and none of them is a misplaced section.
    [Fact]
    public void Keys_at_the_root_from_overrides_are_not_checked()
    {
        var result = GatewayConfigLoader.Load(TestConfigs.SamplePath, ["drill:mutedOutputs:0=siren-main", "Serilog:MinimumLevel=Debug"]);

        Assert.True(result.IsValid, result.ToReport());
    }

    // Two objects under one key were merged key by key (the framework refuses only a value given
    // twice): the second mqtt, meant to replace the first, got its host from the first. Reported
    // at the key's path, with the lines, along with the reader's own problems.
    [Fact]
    public void A_key_given_twice_in_one_object_is_an_error_at_its_path_with_the_other_problems()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["mqtt"]!.AsObject().Remove("host");
        json["EdgeGuard"]!["outputs"]![0]!["lne"] = 3;
        var text = json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var mqtt = text.IndexOf("\"mqtt\": {", StringComparison.Ordinal);
        text = text[..mqtt] + "\"mqtt\": { \"host\": \"office.example\" },\n    \"MQTT\": {" + text[(mqtt + "\"mqtt\": {".Length)..];
        var line = text[..mqtt].Count(c => c == '\n') + 1;
        var zone = text.IndexOf("\"zone\": \"lobby\"", StringComparison.Ordinal);
        text = text[..zone] + "\"Zone\": { \"id\": \"x\" }, " + text[zone..];
        File.WriteAllText(path, text);

        var result = GatewayConfigLoader.Load(path);

        // In the file's order, before the reader's problems.
        Assert.Equal("EdgeGuard:points:0:zone", result.Errors[0].Path);
        Assert.Equal("EdgeGuard:MQTT", result.Errors[1].Path);
        Assert.Equal($"'MQTT' is given twice in the same object (lines {line} and {line + 1}); the two are merged key by key, which neither meant: keep one", result.Errors[1].Message);
        TestConfigs.AssertError(result, "EdgeGuard:outputs:0:lne", "unknown key 'lne'");
    }

    [Fact]
    public void Override_without_equals_sign_is_an_error()
    {
        var loaded = GatewayConfigLoader.Build(TestConfigs.SamplePath, ["EdgeGuard:points:0:line", "EdgeGuard:mqtt:port=1884"]);

        var error = Assert.Single(loaded.Errors);
        Assert.Equal("overrides:0", error.Path);
        Assert.Contains("key=value", error.Message, StringComparison.Ordinal);
        Assert.Equal("1884", loaded.Configuration["EdgeGuard:mqtt:port"]);
    }

    [Fact]
    public void Default_path_is_appsettings_next_to_the_executable()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), GatewayConfigLoader.DefaultPath);
        Assert.Empty(GatewayConfigLoader.Build(null).Errors);
    }

    [Fact]
    public void Report_lists_every_problem_one_per_line()
    {
        var result = new ConfigResult(null,
        [
            new ConfigError("EdgeGuard:site", "site is required"),
            new ConfigError("EdgeGuard:points:0:line", "line 'x' is not a whole number"),
        ]);

        Assert.Equal(
            "Configuration has 2 problems:\n  - EdgeGuard:site: site is required\n  - EdgeGuard:points:0:line: line 'x' is not a whole number",
            result.ToReport());
        Assert.Equal("Configuration has 1 problem:\n  - a: b", ConfigErrorFormatter.Format([new ConfigError("a", "b")]));
    }
}
