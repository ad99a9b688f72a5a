using EdgeGuard.Cli;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// Board faults reported while the walk test opens the lines, before its session exists: a chip that does not
/// answer, a kernel that drops released outputs. The technician must see them and the walk test must not pass.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    [Fact]
    public async Task An_expander_without_power_at_start_is_shown_when_the_test_starts_and_fails_it()
    {
        var config = WriteConfig(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json")));
        SimulatedMcp23017? chip = null;
        using var stop = new CancellationTokenSource();
        // The chip NACKs from the first transaction: the outputs are opened (and the chip configured) before the
        // walk test's session exists, so its "did not answer" is reported then.
        var walk = StartAsync(stop.Token, config, services => services.AddSingleton<IBusDevices>(sp =>
        {
            var buses = sp.GetRequiredService<SimulatedBusDevices>();
            chip = buses.Expander("mcp23017@0x20");
            chip.Powered = false;
            return buses;
        }));
        await using var sim = await ConnectAsync(walk);

        // Shown at the start, in the form of a fault during the test, before the points it makes read active.
        var screen = Screen;
        var fault = screen.IndexOf("fault mcp23017@0x20: did not answer at start-up", StringComparison.Ordinal);
        Assert.True(fault > screen.IndexOf("Walk test of site", StringComparison.Ordinal), screen);
        Assert.True(fault < screen.IndexOf("active at start  panic-annex", StringComparison.Ordinal), screen);
        Assert.Matches(@"\d\d:\d\d:\d\d\.\d{3} fault mcp23017@0x20: did not answer at start-up; .* \(fault\.hardware\)", screen);

        // Power comes back: its restore is shown as during the test, and the panic button reads at rest again.
        chip!.Powered = true;
        await Eventually.TrueAsync(() => Screen.Contains("fault mcp23017@0x20: restored (fault.hardware-restored)", StringComparison.Ordinal),
            Patience, $"the expander's restore:\n{Screen}");
        await SimAsync(sim, "press panic-guardroom", "seen panic-guardroom");
        stop.Cancel();

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Matches(@"HARDWARE  mcp23017@0x20 at start \(restored since\): did not answer at start-up; ", report);
        Assert.Contains("hardware fault at start: mcp23017@0x20", report);
        Assert.StartsWith("FAILED: ", report.Split('\n').Last(l => l.Length > 0), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kernel_that_drops_released_outputs_fails_a_walk_test_that_saw_every_point()
    {
        // The simulated chip has no kernel behind it; the probe stands in for a Raspberry Pi whose
        // persist_gpio_outputs is N (dtparam=strict_gpiod).
        var walk = StartAsync(CancellationToken.None, WriteConfig(TwoPoints), services => services.AddSingleton(
            new ReleasedOutputsProbe("gpiochip0", "pinctrl-bcm2711", path => path.EndsWith("/persist_gpio_outputs", StringComparison.Ordinal) ? "N\n" : null)));
        await using var sim = await ConnectAsync(walk);
        Assert.Matches(@"fault gpiochip0: The kernel turns released output lines into inputs .* \(fault\.hardware\)", Screen);

        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "press panic-hall", "seen panic-hall");

        // Every point seen ends the test, but the gateway would drop every relay at its next restart.
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Contains("Walk test report (every point seen): 2 of 2 points seen.", report);
        Assert.Matches(@"HARDWARE  gpiochip0 at start: The kernel turns released output lines into inputs", report);
        Assert.Contains("FAILED: hardware fault at start: gpiochip0", report);
        Assert.DoesNotContain("PASSED", report);
    }

    [Fact]
    public async Task A_hardware_fault_during_the_test_fails_it_like_one_at_start()
    {
        var config = WriteConfig(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json")));
        SimulatedMcp23017? chip = null;
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, config, services => services.AddSingleton<IBusDevices>(sp =>
        {
            var buses = sp.GetRequiredService<SimulatedBusDevices>();
            chip = buses.Expander("mcp23017@0x20");
            return buses;
        }));
        await using var sim = await ConnectAsync(walk);
        await SimAsync(sim, "open door-annex", "seen door-annex");

        chip!.Powered = false; // the expander's supply fails while the technician walks the site
        await Eventually.TrueAsync(() => Screen.Contains("fault mcp23017@0x20: ", StringComparison.Ordinal), Patience, $"the expander's fault:\n{Screen}");
        stop.Cancel();

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Matches(@"HARDWARE  mcp23017@0x20 during the test: ", report);
        Assert.Contains("; hardware fault during the test: mcp23017@0x20", report);
        Assert.DoesNotContain("hardware fault at start", report);
    }

    [Fact]
    public async Task When_the_walk_test_cannot_start_the_faults_reported_before_are_still_shown()
    {
        // The expander is dead, then an input cannot be opened (a line another program holds, say): the walk test
        // ends before its session exists, and the dead expander must not go unmentioned.
        var config = WriteConfig(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json")));
        var code = await StartAsync(CancellationToken.None, config, services =>
        {
            services.AddSingleton<IBusDevices>(sp =>
            {
                var buses = sp.GetRequiredService<SimulatedBusDevices>();
                buses.Expander("mcp23017@0x20").Powered = false;
                return buses;
            });
            services.AddSingleton<Core.Ports.IInputLines>(_ => throw new Hardware.HardwareException("Line 24 for 'panic-guardroom' is busy."));
        }).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        var screen = Screen;
        Assert.Matches(@"fault mcp23017@0x20: did not answer at start-up; .* \(fault\.hardware\)", screen);
        Assert.True(
            screen.IndexOf("fault mcp23017@0x20", StringComparison.Ordinal) < screen.IndexOf("cannot walk-test: Line 24", StringComparison.Ordinal),
            screen);
    }

    private Task<int> StartAsync(CancellationToken stop, string config, Action<IServiceCollection> configure) =>
        Task.Run(() => WalkTestVerb.RunAsync(config, simulate: true, duration: null, _screen, _screen, stop, configure));
}
