using System.Globalization;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// <c>run --simulate</c> journals and publishes simulated presses as the gateway's own events: with
/// a copy of a production configuration, a simulated panic press reached the security office's
/// broker as a real alarm. Simulated hardware talks only to a broker on this machine.
/// </summary>
public sealed class RunSimulateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeguard-sim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("10.20.0.5")]
    [InlineData("broker.office.example")]
    public async Task Run_simulate_refuses_a_broker_off_this_machine_before_it_touches_anything(string host)
    {
        var path = ConfigFile(host);

        var (code, _, error) = await CliRun.InvokeAsync("run", "--simulate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"EdgeGuard:mqtt:host: simulated hardware (run --simulate, or hardware.driver simulated) publishes simulated presses as events of gateway 'gw-chancery', and mqtt.host '{host}' is not on this machine", error, StringComparison.Ordinal);
        Assert.Contains("Leave mqtt.host empty for the embedded broker, or name a broker on loopback", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")), "no journal was opened");
    }

    [Fact]
    public async Task Run_refuses_it_too_when_the_config_itself_chooses_the_simulated_driver()
    {
        var path = ConfigFile("10.20.0.5", driver: "simulated");

        var (code, _, error) = await CliRun.InvokeAsync("run", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("EdgeGuard:mqtt:host: simulated hardware", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")), "no journal was opened");
    }

    [Fact]
    public async Task Validate_refuses_what_run_refuses()
    {
        var path = ConfigFile("10.20.0.5");

        var (code, output, error) = await CliRun.InvokeAsync("validate", "--simulate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("EdgeGuard:mqtt:host: simulated hardware", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Configuration is valid", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("::1")]
    public void A_broker_on_this_machine_is_what_simulate_mode_talks_to(string host)
    {
        // The refusal is part of the config read, so a broker it lets through loads.
        using var error = new StringWriter();
        var loaded = RunVerbHandler.Load(ConfigFile(host), simulate: true, error);

        Assert.True(loaded is not null, error.ToString());
        Assert.Equal(host, loaded.Value.Config.Mqtt.Host ?? "");
    }

    // The broker check ran after the config read: its refusal came only once every other problem was
    // fixed, one more round trip for the technician. It is listed with them, at mqtt.host.
    [Theory]
    [InlineData("validate", "--simulate", null)]
    [InlineData("run", "--simulate", null)]
    [InlineData("validate", null, "simulated")]
    [InlineData("run", null, "simulated")]
    public async Task A_broker_off_this_machine_is_listed_with_the_other_problems(string verb, string? simulate, string? driver)
    {
        var path = ConfigFile("10.20.0.5", driver, edit: site =>
        {
            site["points"]![3]!["line"] = SimulatedGpioDriver.DefaultLineCount;
            site["zones"]![0]!["nmae"] = "typo";
        });

        var (code, _, error) = await CliRun.InvokeAsync([verb, .. simulate is null ? Array.Empty<string>() : [simulate], "--config", path]);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.StartsWith("Configuration has 3 problems:", error, StringComparison.Ordinal);
        Assert.Contains("EdgeGuard:zones:0:nmae", error, StringComparison.Ordinal);
        Assert.Contains("EdgeGuard:points:3:line: point 'panic-lobby'", error, StringComparison.Ordinal);
        Assert.Contains("EdgeGuard:mqtt:host: simulated hardware (run --simulate, or hardware.driver simulated) publishes simulated presses as events of gateway 'gw-chancery', and mqtt.host '10.20.0.5' is not on this machine: "
            + "the security office would take a simulated panic for a real one.", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")), "no journal was opened");
    }

    // The simulated chip has SimulatedGpioDriver.DefaultLineCount lines. validate --simulate only checked
    // 0..1023 and passed a line past them; run --simulate then failed opening it. Each such line is listed
    // with the config's other problems, naming its item.
    [Theory]
    [InlineData("validate")]
    [InlineData("run")]
    public async Task Simulate_lists_every_line_the_simulated_chip_lacks_with_the_other_problems(string verb)
    {
        const int lines = SimulatedGpioDriver.DefaultLineCount;
        var path = ConfigFile("", edit: site =>
        {
            site["points"]![3]!["line"] = lines;
            site["outputs"]![2]!["line"] = lines + 6;
            site["zones"]![0]!["nmae"] = "typo";
        });

        var (code, output, error) = await CliRun.InvokeAsync(verb, "--simulate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        var range = Inv($"which has lines 0..{lines - 1}");
        Assert.Contains(Inv($"EdgeGuard:points:3:line: point 'panic-lobby': line {lines} is beyond the simulated chip, {range}"), error, StringComparison.Ordinal);
        Assert.Contains(Inv($"EdgeGuard:outputs:2:line: output 'siren-main': line {lines + 6} is beyond the simulated chip, {range}"), error, StringComparison.Ordinal);
        Assert.Contains("EdgeGuard:zones:0:nmae", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Configuration is valid", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")), "no journal was opened");
    }

    // A real chip's size is the kernel's to know (no board profile here): without --simulate those lines
    // are left to the run, as before.
    [Fact]
    public void A_real_read_leaves_lines_past_the_simulated_chip_alone()
    {
        const int lines = SimulatedGpioDriver.DefaultLineCount;
        var path = ConfigFile("", edit: site => site["points"]![3]!["line"] = lines);

        var loaded = RunVerbHandler.Load(path, simulate: false, TextWriter.Null);

        Assert.NotNull(loaded);
        Assert.Equal(lines, loaded.Value.Config.Site.Point("panic-lobby").Line);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    // The shipped configuration with its broker at host (plain TCP, as on an isolated test network),
    // then edit's changes to its EdgeGuard section.
    private string ConfigFile(string host, string? driver = null, Action<JsonNode>? edit = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        if (driver is not null)
        {
            json["EdgeGuard"]!["hardware"]!["driver"] = driver;
        }

        edit?.Invoke(json["EdgeGuard"]!);

        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir, "state");
        json["EdgeGuard"]!["mqtt"] = new JsonObject { ["host"] = host, ["tls"] = new JsonObject { ["enabled"] = false } };
        var path = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
