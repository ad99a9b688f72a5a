using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.WalkTest;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// A walk test whose hardware cannot be set up ends with <c>edgeguard: cannot walk-test: …</c> and exit 1: the
/// GPIO driver was opened before the walk test's error handling, so a driver or chip the OS does not have gave
/// the technician a stack trace.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    [Fact]
    public async Task A_gpio_chip_that_cannot_be_opened_is_a_clear_error_not_a_stack_trace()
    {
        var config = WriteConfig(HallPoints);
        var node = JsonNode.Parse(await File.ReadAllTextAsync(config))!;
        node["EdgeGuard"]!["hardware"] = new JsonObject { ["driver"] = "libgpiodV2", ["chip"] = "/dev/gpiochip-walk-test-none" };
        await File.WriteAllTextAsync(config, node.ToJsonString());

        var code = await EdgeGuardCli.Create().Parse(["walktest", "--config", config])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen });

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("edgeguard: cannot walk-test: GPIO", Screen);
        Assert.DoesNotContain("Unhandled exception", Screen);
        Assert.DoesNotContain("   at ", Screen);
        Assert.EndsWith(WalkTestPrinter.GatewayStoppedLine, Screen.TrimEnd());
    }

    // The config read knows the simulated chip's lines, so a line past them is a config problem named at
    // its point, listed with the others (exit 2), before the walk test opens anything.
    [Fact]
    public async Task A_line_beyond_the_simulated_chip_is_a_clear_error_not_a_stack_trace()
    {
        var config = WriteConfig(HallPoints.Replace("\"line\": 23,", "\"line\": 70,", StringComparison.Ordinal));

        var code = await EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", config])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen });

        Assert.Equal(ExitCodes.InvalidConfig, code);
        var last = (SimulatedGpioDriver.DefaultLineCount - 1).ToString(CultureInfo.InvariantCulture);
        Assert.Contains($"point 'panic-hall': line 70 is beyond the simulated chip, which has lines 0..{last}", Screen);
        Assert.DoesNotContain("   at ", Screen);
    }

    // A walk test publishes nothing (its events stay on the screen), so the simulated gateway's refusal of
    // a broker off this machine is not its: a technician rehearses on a copy of the site's config.
    [Fact]
    public async Task A_simulated_walk_test_runs_with_the_sites_broker_off_this_machine()
    {
        var config = WriteConfig(HallPoints);
        var node = JsonNode.Parse(await File.ReadAllTextAsync(config))!;
        node["EdgeGuard"]!["mqtt"] = new JsonObject { ["host"] = "broker.office.example", ["tls"] = new JsonObject { ["enabled"] = false } };
        await File.WriteAllTextAsync(config, node.ToJsonString());

        var code = await EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", config, "--duration", "1s"])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen }).WaitAsync(Patience);

        Assert.Equal(ExitCodes.WalkTestIncomplete, code);
        Assert.Contains("Walk test report (duration over)", Screen);
        Assert.DoesNotContain("mqtt:host", Screen);
    }
}
