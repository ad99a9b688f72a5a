using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Hosting;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The <c>Logging</c> section is read by the host's logging when <c>run</c> builds it. A level it
/// cannot parse ("Info") passed <c>validate</c> (exit 0) and then stopped <c>run</c> with
/// "Configuration value 'Info' is not supported.", no path, exit 1: systemd restarts exit 1 until
/// its start limit reboots the gateway, and the next boot fails alike, panic buttons dead meanwhile.
/// Both verbs now list every bad value at its path with the other problems and exit 2.
/// </summary>
public sealed class LoggingConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Validate_and_run_list_every_bad_logging_value_at_its_path_with_the_other_problems_and_exit_2()
    {
        var path = SampleWith(root =>
        {
            root["Logging"]!["LogLevel"]!["Default"] = "Info";
            root["Logging"]!["Console"] = new JsonObject
            {
                ["LogLevel"] = new JsonObject { ["EdgeGuard"] = "Warn" },
                ["LogToStandardErrorThreshold"] = "Info",
                ["FormatterOptions"] = new JsonObject { ["SingleLine"] = "yes" },
            };
            root["EdgeGuard"]!["outputs"]![0]!["lne"] = 3;
        });

        var (validateCode, _, validateError) = await CliRun.InvokeAsync("validate", "--simulate", "--config", path);
        using var runError = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var runCode = await RunVerbHandler.RunAsync(path, simulate: true, TextWriter.Null, runError, stop.Token);

        foreach (var (code, error) in new[] { (validateCode, validateError), (runCode, runError.ToString()) })
        {
            Assert.Equal(ExitCodes.InvalidConfig, code);
            Assert.Contains("5 problems", error, StringComparison.Ordinal);
            Assert.Contains("Logging:LogLevel:Default: 'Info' is not a log level (did you mean 'Information'?); expected one of: Trace, Debug, Information, Warning, Error, Critical, None", error, StringComparison.Ordinal);
            Assert.Contains("Logging:Console:LogLevel:EdgeGuard: 'Warn' is not a log level (did you mean 'Warning'?)", error, StringComparison.Ordinal);
            Assert.Contains("Logging:Console:LogToStandardErrorThreshold: LogToStandardErrorThreshold 'Info' is not valid (did you mean 'Information'?)", error, StringComparison.Ordinal);
            Assert.Contains("Logging:Console:FormatterOptions:SingleLine: SingleLine 'yes' is not valid; expected true or false", error, StringComparison.Ordinal);
            Assert.Contains("EdgeGuard:outputs:0:lne", error, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "state")), "run went past its configuration");
    }

    [Fact]
    public void A_bad_level_from_an_override_or_the_environment_is_reported_at_its_path()
    {
        var result = GatewayConfigLoader.Load(SampleWith(_ => { }), ["Logging__LogLevel__Microsoft.Hosting.Lifetime=Verbose", "Logging:Console:MaxQueueLength=0"]);

        TestConfigs.AssertError(result, "Logging:LogLevel:Microsoft.Hosting.Lifetime", "'Verbose' is not a log level");
        TestConfigs.AssertError(result, "Logging:Console:MaxQueueLength", "'0' is not valid", "a whole number from 1");
    }

    [Fact]
    public void A_timestamp_format_the_formatter_cannot_use_is_reported_at_its_path()
    {
        // Parsed only as a line is formatted: it passed validate, and run, whose loggers drop a line
        // that fails, would have logged nothing at all.
        var result = GatewayConfigLoader.Load(SampleWith(_ => { }), ["Logging:Console:FormatterOptions:TimestampFormat=HH:mm '"]);

        TestConfigs.AssertError(result, "Logging:Console:FormatterOptions:TimestampFormat", "TimestampFormat 'HH:mm '' is not valid", "a date and time format");
        Assert.True(GatewayConfigLoader.Load(SampleWith(_ => { }), ["Logging:Console:FormatterOptions:TimestampFormat=yyyy-MM-dd HH:mm:ss "]).IsValid);
    }

    [Theory]
    [InlineData("Information")]
    [InlineData("warning")]
    [InlineData("NONE")]
    [InlineData("")]
    public void Every_level_the_host_takes_is_accepted(string level)
    {
        var result = GatewayConfigLoader.Load(SampleWith(root => root["Logging"]!["LogLevel"]!["Default"] = level));

        Assert.True(result.IsValid, result.ToReport());
    }

    /// <summary>Every typed Logging key the reader checks, with values at the edges of what parses.</summary>
    public static TheoryData<string, string> TypedValues()
    {
        string[] keys =
        [
            "Logging:LogLevel:Default", "Logging:Console:LogLevel:EdgeGuard", "Logging:Console:LogToStandardErrorThreshold",
            "Logging:Console:QueueFullMode", "Logging:Console:Format", "Logging:Console:FormatterOptions:ColorBehavior",
            "Logging:Console:MaxQueueLength", "Logging:Console:FormatterOptions:SingleLine",
        ];
        string[] values = ["0", "1", "2", "6", "7", "-1", " 2 ", "+1", "1.0", "0x1", "99999999999", "Warning, Error", "dropwrite", "DISABLED", "systemd", " True ", "yes", " "];
        var data = new TheoryData<string, string>();
        foreach (var key in keys)
        {
            foreach (var value in values)
            {
                data.Add(key, value);
            }
        }

        return data;
    }

    // Numbers are enum values to the framework ("QueueFullMode": "1" is DropWrite, a level "7"
    // logs nothing), and the reader refused them although run took them. It now takes a value
    // exactly when the host's logging does, so neither verb refuses what the other runs.
    [Theory]
    [MemberData(nameof(TypedValues))]
    public void A_logging_value_is_taken_by_the_reader_exactly_when_the_hosts_logging_takes_it(string key, string value)
    {
        var loaded = GatewayConfigLoader.Build(SampleWith(_ => { }), [$"{key}={value}"]);
        var hostTakesIt = GatewayHost.LoggingProblem(loaded.Configuration) is null;

        var result = GatewayConfigLoader.Read(loaded);

        Assert.True(hostTakesIt == result.IsValid, $"host takes '{value}' at {key}: {hostTakesIt}; reader: {result.ToReport()}");
        if (!result.IsValid)
        {
            Assert.Equal(key, Assert.Single(result.Errors).Path, ignoreCase: true);
        }
    }

    // A value the reader does not check by name (the JSON formatter's writer options) but the
    // host's logging refuses: validate refuses it at Logging in the framework's words, and run exits
    // 2 saying so, not 1 (restarted into the same failure until the start limit reboots).
    [Fact]
    public async Task A_logging_value_the_host_cannot_take_that_the_reader_does_not_name_exits_2_from_validate_and_run()
    {
        var path = SampleWith(root => root["Logging"]!["Console"] = new JsonObject
        {
            ["FormatterOptions"] = new JsonObject { ["JsonWriterOptions"] = new JsonObject { ["Indented"] = "yes" } },
        });

        var (validateCode, _, validateError) = await CliRun.InvokeAsync("validate", "--simulate", "--config", path);
        using var runError = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var runCode = await RunVerbHandler.RunAsync(path, simulate: true, TextWriter.Null, runError, stop.Token);

        Assert.Equal(ExitCodes.InvalidConfig, validateCode);
        Assert.Contains("Logging: the host's logging cannot be set up from it: ", validateError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidConfig, runCode);
        Assert.Contains("edgeguard: cannot run: the host cannot be set up from the configuration: ", runError.ToString(), StringComparison.Ordinal);
    }

    private string SampleWith(Action<JsonNode> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestConfigs.SamplePath))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir.Path, "state");
        json["EdgeGuard"]!["gateway"] = "gw-logcfg-" + Guid.NewGuid().ToString("N")[..8];
        json["EdgeGuard"]!["mqtt"]!["port"] = 21000 + Random.Shared.Next(5000);
        edit(json);
        var path = Path.Combine(_dir.Path, "appsettings.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
