using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Configuration;

/// <summary>The I/O board sample (samples/annex-io-board.json): read, validated and composed behind the ports.</summary>
public sealed class IoBoardConfigTests
{
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json");

    private static GatewayConfig Read(bool simulate, params string[] overrides)
    {
        var loaded = GatewayConfigLoader.Build(Sample, overrides);
        Assert.Empty(loaded.Errors);
        var result = GatewayConfigReader.Read(loaded.Configuration, simulate);
        Assert.True(result.IsValid, result.ToReport());
        return result.Config!;
    }

    [Fact]
    public void Annex_sample_reads_expanders_adcs_and_loops_and_marks_board_lines()
    {
        var config = Read(simulate: false);

        Assert.Equal([new ExpanderOptions("mcp23017@0x20", 1, 0x20, 4)], config.Board.Expanders);
        Assert.Equal([new AdcOptions("mcp3008@0.0", 0, 0, 1_000_000, TimeSpan.FromMilliseconds(25))], config.Board.Adcs);
        Assert.Equal(
            [new SupervisedLoopOptions("fence-east", "mcp3008@0.0", 0, new EolThresholds(EolWiring.Double, 341, 599, 818)),
             new SupervisedLoopOptions("fence-west", "mcp3008@0.0", 1, new EolThresholds(EolWiring.SingleSeries, 341, 682))],
            config.Board.Loops);
        var site = config.Site;
        Assert.Equal(("mcp23017@0x20:A0", -1), (site.Point("panic-annex").LineAddress, site.Point("panic-annex").Line));
        Assert.Equal("mcp3008@0.0:CH0", site.Point("fence-east").LineAddress);
        Assert.True(site.Point("fence-east").ActiveHigh, "a loop's level is active-high by definition");
        Assert.Equal("mcp23017@0x20:B0", site.Outputs.Single(o => o.Id == "lock-annex").LineAddress);
        Assert.Null(site.Point("key-guardroom").LineAddress);
        Assert.Equal(24, site.Point("panic-guardroom").Line);
    }

    [Fact]
    public void Names_are_case_insensitive_and_canonicalised()
    {
        var config = Read(simulate: false,
            "EdgeGuard:expanders:0:id=MCP23017@0X20", "EdgeGuard:points:2:line=Mcp23017@0x20:a0", "EdgeGuard:points:4:line=MCP3008@0.0:ch0");

        Assert.Equal("mcp23017@0x20", config.Board.Expanders[0].Id);
        Assert.Equal("mcp23017@0x20:A0", config.Site.Point("panic-annex").LineAddress);
        Assert.Equal("mcp3008@0.0:CH0", config.Site.Point("fence-east").LineAddress);
    }

    [Fact]
    public void A_config_without_a_board_keeps_plain_gpio_lines()
    {
        var loaded = GatewayConfigLoader.Build(TestConfigs.SamplePath);
        var config = GatewayConfigReader.Read(loaded.Configuration).Config!;

        Assert.Same(IoBoardOptions.None, config.Board);
        Assert.All(config.Site.Points, p => Assert.Null(p.LineAddress));
    }

    [Fact]
    public async Task Simulated_host_composes_native_expander_and_loop_lines_behind_one_port()
    {
        using var host = TestGatewayHost.Build();
        var services = host.Services;

        var inputs = Assert.IsType<RoutedInputLines>(services.GetRequiredService<IInputLines>());
        var outputs = services.GetRequiredService<OutputLinesFactory>()(new Dictionary<string, bool>
        {
            ["lock-annex"] = true, ["lamp-annex"] = false, ["siren-main"] = false,
        });
        var buses = services.GetRequiredService<SimulatedBusDevices>();
        var driver = services.GetRequiredService<SimulatedGpioDriver>();

        // Quiet building: the simulated board starts at rest wherever each point is wired.
        Assert.False(inputs.Read("panic-annex"), "normally-closed panic on the expander, released");
        Assert.False(inputs.Read("fence-east"), "double-EOL loop at its normal reading");
        Assert.False(inputs.Read("panic-guardroom"), "native normally-closed panic, released");
        Assert.True(buses.Expander("mcp23017@0x20").PinLevel(8), "expander maglock at its initial level");
        Assert.Equal(System.Device.Gpio.PinMode.InputPullUp, driver.ModeOf(4));

        // Expander writes go through the chip's writer (the controller's loop never waits for I²C); native
        // writes are made in Write itself.
        using var applied = new SemaphoreSlim(0);
        Assert.IsAssignableFrom<IQueuedOutputLines>(outputs).OnApplied(() => applied.Release());
        outputs.Write("siren-main", true);
        outputs.Write("lock-annex", false);
        Assert.True(driver.GetOutputLevel(16));
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the expander's writer never wrote the lock");
        Assert.False(buses.Expander("mcp23017@0x20").PinLevel(8));
        Assert.False(outputs.ReadBack("lock-annex"), "the lock's read-back is not what its writer achieved");
        outputs.Dispose();
        inputs.Dispose();
    }

    [Fact]
    public void Simulated_host_opens_only_the_outputs_it_is_given_the_rest_in_a_second_call()
    {
        // The controller opens the native egress locks first when a fire reads active before the saved
        // state is loaded, and the rest once the plan is known (SiteController.FireAtBoot.cs).
        using var host = TestGatewayHost.Build();
        var services = host.Services;
        var open = services.GetRequiredService<OutputLinesFactory>();
        var driver = services.GetRequiredService<SimulatedGpioDriver>();

        using var first = open(new Dictionary<string, bool> { ["siren-main"] = true }, last: false);
        Assert.True(driver.IsOpen(16));
        Assert.True(driver.GetOutputLevel(16));
        Assert.Throws<KeyNotFoundException>(() => first.ReadBack("lock-annex"));

        using var rest = open(new Dictionary<string, bool> { ["lock-annex"] = true, ["lamp-annex"] = false });
        Assert.True(services.GetRequiredService<SimulatedBusDevices>().Expander("mcp23017@0x20").PinLevel(8), "expander maglock at its initial level");
        Assert.True(rest.ReadBack("lock-annex"));
        Assert.Throws<KeyNotFoundException>(() => rest.ReadBack("siren-main"));
    }

    [Fact]
    public void An_expander_carrying_only_inputs_is_configured_when_the_outputs_are_opened()
    {
        // Every relay on a native line, the MCP23017 carrying the panic button and the door contact
        // only: the chip is configured (and supervised) with the last outputs opened even though none
        // of them is on it, or its inputs are never read (each stays at its fail-safe level).
        using var host = TestGatewayHost.Build(["EdgeGuard:outputs:0:line=20", "EdgeGuard:outputs:1:line=21"]);
        var services = host.Services;
        var inputs = services.GetRequiredService<IInputLines>();

        using var outputs = services.GetRequiredService<OutputLinesFactory>()(new Dictionary<string, bool>
        {
            ["lock-annex"] = true, ["lamp-annex"] = false, ["siren-main"] = false,
        });

        Assert.False(inputs.Read("panic-annex"), "normally-closed panic on the expander, released");
        Assert.False(inputs.Read("door-annex"), "door contact on the expander, closed");
        Assert.True(services.GetRequiredService<SimulatedGpioDriver>().GetOutputLevel(20), "native maglock at its initial level");
    }

    [Fact]
    public void An_expander_carrying_only_inputs_waits_for_the_last_call_even_one_naming_no_output()
    {
        // The controller opens the native egress locks first for a fire found before the saved state is
        // loaded; when they are the only outputs, the last call names none. The chip is configured then,
        // not on the early call (SiteController.FireAtBoot.cs).
        using var host = TestGatewayHost.Build(["EdgeGuard:outputs:0:line=20", "EdgeGuard:outputs:1:line=21", "EdgeGuard:outputs:2:line=22"]);
        var services = host.Services;
        var inputs = services.GetRequiredService<IInputLines>();
        var open = services.GetRequiredService<OutputLinesFactory>();

        using var early = open(new Dictionary<string, bool> { ["lock-annex"] = false, ["lamp-annex"] = false, ["siren-main"] = false }, last: false);
        Assert.Throws<InvalidOperationException>(() => inputs.Read("panic-annex"));

        using var rest = open(new Dictionary<string, bool>());
        Assert.False(inputs.Read("panic-annex"), "normally-closed panic on the expander, released");
        Assert.False(inputs.Read("door-annex"), "door contact on the expander, closed");
    }
}
