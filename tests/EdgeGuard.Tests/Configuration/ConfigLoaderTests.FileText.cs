using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

// The file's shape is checked on the text the framework itself parsed: what an editor saved in
// another encoding, and colon keys the framework reads as paths.
public sealed partial class ConfigLoaderTests
{
    // An editor set to Latin-1 saves 'é' as the one byte 0xE9, which is not UTF-8. The framework
    // reads the file through a StreamReader (the byte becomes U+FFFD) and took it; the shape check
    // threw "Cannot transcode invalid UTF-8" out of Build instead: validate exit 1, run a stack
    // trace that systemd restarts until its start limit reboots the gateway.
    [Fact]
    public void A_key_that_is_not_utf8_is_read_as_the_framework_reads_it_not_thrown()
    {
        using var directory = new TempDirectory();
        var path = WriteWithRawKey(directory, root => root["Logging"]!["LogLevel"]!["PLACEHOLDER"] = "Warning", "PLACEHOLDER", [(byte)'C', (byte)'a', (byte)'f', 0xE9]);

        var loaded = GatewayConfigLoader.Build(path);
        var result = GatewayConfigLoader.Read(loaded);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("Warning", loaded.Configuration["Logging:LogLevel:Caf\uFFFD"]);
    }

    // Before the shape check, a mistyped key saved so ("z\xF6ne") was an unknown key at its path,
    // exit 2; validate and run list it so again, and run never gets as far as the state directory.
    [Fact]
    public async Task A_mistyped_key_that_is_not_utf8_is_listed_by_validate_and_run_with_exit_2()
    {
        using var directory = new TempDirectory();
        var path = WriteWithRawKey(directory, root => root["EdgeGuard"]!["PLACEHOLDER"] = 1, "PLACEHOLDER", [(byte)'z', 0xF6, (byte)'n', (byte)'e']);

        var (validateCode, _, validateError) = await CliRun.InvokeAsync("validate", "--simulate", "--config", path);
        using var runError = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var runCode = await RunVerbHandler.RunAsync(path, simulate: true, TextWriter.Null, runError, stop.Token);

        foreach (var (code, error) in new[] { (validateCode, validateError), (runCode, runError.ToString()) })
        {
            Assert.Equal(ExitCodes.InvalidConfig, code);
            Assert.Contains("EdgeGuard:z\uFFFDne: unknown key 'z\uFFFDne'", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.Combine(directory.Path, "state")), "run went past its configuration");
    }

    // Notepad's "Unicode" (UTF-16 with a byte order mark) and the other encodings whose mark the
    // framework's StreamReader detects: the file was taken, but its check met bytes that are not
    // UTF-8 and checked nothing, so a section moved to the root was ignored again.
    [Theory]
    [InlineData("utf-16LE")]
    [InlineData("utf-16BE")]
    [InlineData("utf-32LE")]
    [InlineData("utf-32BE")]
    public void A_file_in_another_encoding_with_its_byte_order_mark_is_checked_too(string encodingName)
    {
        Encoding encoding = encodingName switch
        {
            "utf-16LE" => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
            "utf-16BE" => new UnicodeEncoding(bigEndian: true, byteOrderMark: true),
            "utf-32LE" => new UTF32Encoding(bigEndian: false, byteOrderMark: true),
            _ => new UTF32Encoding(bigEndian: true, byteOrderMark: true),
        };
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(directory.Path, "state");
        json["drill"] = json["EdgeGuard"]!["drill"]!.DeepClone();
        json["EdgeGuard"]!.AsObject().Remove("drill");
        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var mqtt = text.IndexOf("\"mqtt\": {", StringComparison.Ordinal);
        text = text[..mqtt] + "\"Mqtt\": { \"port\": 1884 },\n" + text[mqtt..];
        var line = text[..mqtt].Count(c => c == '\n') + 1;
        File.WriteAllText(path, text, encoding);

        var result = GatewayConfigLoader.Load(path);

        Assert.Equal(["EdgeGuard:mqtt", "drill"], result.Errors.Select(e => e.Path));
        TestConfigs.AssertError(result, "EdgeGuard:mqtt", $"(lines {line} and {line + 1})");
        TestConfigs.AssertError(result, "drill", "unknown top-level key 'drill' (did you mean 'EdgeGuard:drill'?");
    }

    // The framework reads a key "Logging:LogLevel:X" at the root as the path Logging:LogLevel:X (it
    // worked before the root check): only its first segment is the top-level key.
    [Fact]
    public void A_colon_key_at_the_root_is_judged_by_its_first_segment()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(directory.Path, "state");
        json["Logging:LogLevel:EdgeGuard.Review"] = "Error";
        json["edgeguard:mqtt:port"] = 1884;
        File.WriteAllText(path, json.ToJsonString());

        var loaded = GatewayConfigLoader.Build(path);
        var result = GatewayConfigLoader.Read(loaded);
        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("Error", loaded.Configuration["Logging:LogLevel:EdgeGuard.Review"]);
        Assert.Equal(1884, result.Config!.Mqtt.Port);

        json["drill:mutedOutputs"] = new JsonArray("siren-main");
        json["Kestrel:Endpoints"] = new JsonObject();
        File.WriteAllText(path, json.ToJsonString());

        result = GatewayConfigLoader.Load(path);

        Assert.Equal(["drill:mutedOutputs", "Kestrel:Endpoints"], result.Errors.Select(e => e.Path));
        TestConfigs.AssertError(result, "drill:mutedOutputs", "unknown top-level key 'drill' (did you mean 'EdgeGuard:drill'?");
        TestConfigs.AssertError(result, "Kestrel:Endpoints", "unknown top-level key 'Kestrel':");
    }

    // "EdgeGuard:mqtt" at the root is the same setting as mqtt inside EdgeGuard: two objects
    // merged key by key, as two mqtt keys in one object are.
    [Fact]
    public void A_colon_key_and_the_nested_keys_of_the_same_path_are_given_twice()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "appsettings.json");
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(directory.Path, "state");
        json["EdgeGuard"]!["mqtt"]!.AsObject().Remove("host");
        json["EdgeGuard:MQTT"] = new JsonObject { ["host"] = "office.example", ["tls"] = new JsonObject { ["serverName"] = "office" } };
        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(path, text);
        var lines = text.Split('\n');
        var nested = Array.FindIndex(lines, l => l.Contains("\"mqtt\": {", StringComparison.Ordinal)) + 1;
        var colon = Array.FindIndex(lines, l => l.Contains("\"EdgeGuard:MQTT\"", StringComparison.Ordinal)) + 1;

        var result = GatewayConfigLoader.Load(path);

        // Once, at the colon key: not again for the tls object inside both.
        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:MQTT", error.Path);
        Assert.Equal($"'EdgeGuard:MQTT' is given twice (lines {nested} and {colon}; a key with ':' in it is the path of nested keys); the two are merged key by key, which neither meant: keep one", error.Message);
    }

    // A key the JSON escapes as half a surrogate pair ("\ud800") cannot be made a string: the
    // framework's parse threw InvalidOperationException out of Build. A problem naming the file.
    [Fact]
    public void A_key_with_half_a_surrogate_pair_is_a_problem_naming_the_file_not_thrown()
    {
        using var directory = new TempDirectory();
        var path = WriteWithRawKey(directory, root => root["Logging"]!["LogLevel"]!["PLACEHOLDER"] = "Warning", "PLACEHOLDER", "\\ud800"u8.ToArray());

        var result = GatewayConfigLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.StartsWith("cannot read the configuration file: ", error.Message, StringComparison.Ordinal);
    }

    // The sample, state in the test's folder, with one key's name replaced by raw bytes.
    private static string WriteWithRawKey(TempDirectory directory, Action<JsonNode> edit, string placeholder, byte[] raw)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(directory.Path, "state");
        edit(json);
        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var at = text.IndexOf(placeholder, StringComparison.Ordinal);
        var path = Path.Combine(directory.Path, "appsettings.json");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(text[..at]), .. raw, .. Encoding.UTF8.GetBytes(text[(at + placeholder.Length)..])]);
        return path;
    }
}
