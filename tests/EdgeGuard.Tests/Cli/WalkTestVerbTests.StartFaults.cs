using EdgeGuard.Cli;
using EdgeGuard.Controller;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting;
using EdgeGuard.WalkTest;
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
        var config = AnnexConfig();
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
        var lines = report.Split('\n').Where(l => l.Length > 0).ToList();
        Assert.StartsWith("FAILED: ", lines[^2], StringComparison.Ordinal);
        Assert.Equal(WalkTestPrinter.GatewayStoppedLine, lines[^1]);
    }

    [Fact]
    public async Task A_kernel_that_drops_released_outputs_fails_a_walk_test_that_saw_every_point()
    {
        // The simulated chip has no kernel behind it; the probe stands in for a Raspberry Pi whose
        // persist_gpio_outputs is N (dtparam=strict_gpiod).
        var walk = StartAsync(CancellationToken.None, WriteConfig(HallPoints), services => services.AddSingleton(
            new ReleasedOutputsProbe("gpiochip0", "pinctrl-bcm2711", path => path.EndsWith("/persist_gpio_outputs", StringComparison.Ordinal) ? "N\n" : null)));
        await using var sim = await ConnectAsync(walk);
        Assert.Matches(@"fault gpiochip0: The kernel turns released output lines into inputs .* \(fault\.hardware\)", Screen);

        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2);
        await SimAsync(sim, "press panic-hall", "seen panic-hall");
        await SimAsync(sim, "release panic-hall", "seen panic-hall", occurrence: 2);
        await SimAsync(sim, "press key-hall", "seen key-hall");
        await SimAsync(sim, "release key-hall", "seen key-hall", occurrence: 2);

        // Every point seen ends the test, but the gateway would drop every relay at its next restart.
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Contains("Walk test report (every point seen): 3 of 3 points seen.", report);
        Assert.Matches(@"HARDWARE  gpiochip0 at start: The kernel turns released output lines into inputs", report);
        Assert.Contains("FAILED: hardware fault at start: gpiochip0", report);
        Assert.DoesNotContain("PASSED", report);
    }

    [Fact]
    public async Task A_native_output_line_another_program_holds_is_shown_at_start_and_fails_the_test()
    {
        // A leftover gpioset holds the maglock's line. The walk test used to end at once on it (as the
        // gateway did); it now starts like the gateway, shows the line, and cannot pass.
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), services =>
        {
            var opens = services.Last(d => d.ServiceType == typeof(OutputLinesFactory));
            services.AddSingleton(sp =>
            {
                sp.GetRequiredService<SimulatedGpioDriver>().HoldElsewhere(12, "gpioset");
                return (OutputLinesFactory)opens.ImplementationFactory!(sp);
            });
        });
        await using var sim = await ConnectAsync(walk);
        Assert.Matches(@"fault gpio12: Line 12 for 'lock-hall' could not be opened as Output: .*'gpioset'.*; the output is not driven .* \(fault\.hardware\)", Screen);
        stop.Cancel();

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Contains("hardware fault at start: gpio12", report);
    }

    [Fact]
    public async Task A_hardware_fault_during_the_test_fails_it_like_one_at_start()
    {
        var config = AnnexConfig();
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
        await AssertDeadExpanderShownBeforeTheRefusalAsync(services => services.AddSingleton<Core.Ports.IInputLines>(
            _ => throw new Hardware.HardwareException("Line 24 for 'panic-guardroom' is busy.")));
    }

    [Fact]
    public async Task When_the_input_lines_cannot_start_the_faults_reported_before_are_still_shown()
    {
        // The session exists and took the board's reports; then starting the inputs throws (a line another
        // program requested meanwhile): the dead expander must not go unmentioned.
        await AssertDeadExpanderShownBeforeTheRefusalAsync(services => services.AddSingleton<Core.Ports.IInputLines>(
            new InputsStartingWith(() => throw new Hardware.HardwareException("Line 24 for 'panic-guardroom' is busy."))));
    }

    [Fact]
    public async Task Stopped_while_the_inputs_settle_the_full_report_lists_every_point_untested_and_the_faults()
    {
        // Ctrl+C right after the inputs started, during the settle time: nothing was watched, but the
        // technician gets the same report as at any other stop: every point untested, the dead expander
        // reported at start, and the FAILED line naming both, with the exit code it implies.
        var config = AnnexConfig();
        using var stop = new CancellationTokenSource();
        var code = await StartAsync(stop.Token, config, services =>
        {
            PowerOff(services, "mcp23017@0x20");
            services.AddSingleton<Core.Ports.IInputLines>(new InputsStartingWith(stop.Cancel));
        }).WaitAsync(Patience);

        Assert.Equal(ExitCodes.WalkTestIncomplete, code);
        var screen = Screen;
        Assert.Matches(@"fault mcp23017@0x20: did not answer at start-up; .* \(fault\.hardware\)", screen);
        var report = screen[screen.IndexOf("Walk test report (stopped before watching, nothing watched): 0 of 6 points seen.", StringComparison.Ordinal)..];
        foreach (var point in new[] { "panic-guardroom", "key-guardroom", "door-annex", "panic-annex", "fence-east", "fence-west" })
        {
            Assert.Matches($@"NOT SEEN  {point} ", report);
        }

        Assert.Matches(@"HARDWARE  mcp23017@0x20 at start: did not answer at start-up; ", report);
        Assert.DoesNotContain("  seen ", report);
        Assert.EndsWith(
            "FAILED: 6 points were never seen: panic-guardroom, key-guardroom, panic-annex, door-annex, fence-east, fence-west; "
            + "hardware fault at start: mcp23017@0x20\n" + WalkTestPrinter.GatewayStoppedLine,
            screen.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("stopped before it started watching", screen);
    }

    [Fact]
    public async Task A_fault_reported_while_the_inputs_settle_is_shown_and_fails_the_report_of_a_stop()
    {
        // The ADC reports a fault right as the inputs start (queued for the session), then Ctrl+C during the
        // settle time: the fault must be on the screen and in the report, not left in the queue.
        using var stop = new CancellationTokenSource();
        var code = await StartAsync(stop.Token, WriteConfig(HallPoints), services =>
            services.AddSingleton<Core.Ports.IInputLines>(provider => new InputsStartingWith(() =>
            {
                provider.GetRequiredService<HardwareFaultReporter>().Report(
                    [new Core.Lockdown.HardwareFault(DateTimeOffset.UtcNow, "mcp3008@0.0", "did not answer")]);
                stop.Cancel();
            }))).WaitAsync(Patience);

        Assert.Equal(ExitCodes.WalkTestIncomplete, code);
        var screen = Screen;
        var report = screen.IndexOf("Walk test report (stopped before watching, nothing watched)", StringComparison.Ordinal);
        Assert.True(report >= 0, screen);
        var fault = screen.IndexOf("fault mcp3008@0.0: did not answer (fault.hardware)", StringComparison.Ordinal);
        Assert.InRange(fault, 0, report);
        Assert.EndsWith("FAILED: 3 points were never seen: door-hall, panic-hall, key-hall; hardware fault during the test: mcp3008@0.0\n"
            + WalkTestPrinter.GatewayStoppedLine, screen.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopped_while_the_inputs_settle_on_a_clean_board_the_report_still_fails_every_point()
    {
        using var stop = new CancellationTokenSource();
        var code = await StartAsync(stop.Token, WriteConfig(HallPoints), services =>
            services.AddSingleton<Core.Ports.IInputLines>(new InputsStartingWith(stop.Cancel))).WaitAsync(Patience);

        Assert.Equal(ExitCodes.WalkTestIncomplete, code);
        var report = Screen[Screen.IndexOf("Walk test report (stopped before watching, nothing watched): 0 of 3 points seen.", StringComparison.Ordinal)..];
        Assert.Matches(@"NOT SEEN  door-hall ", report);
        Assert.Matches(@"NOT SEEN  panic-hall ", report);
        Assert.Matches(@"NOT SEEN  key-hall ", report);
        Assert.DoesNotContain("HARDWARE", report);
        Assert.EndsWith("FAILED: 3 points were never seen: door-hall, panic-hall, key-hall\n" + WalkTestPrinter.GatewayStoppedLine,
            Screen.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_a_simulated_gateway_holds_the_control_socket_the_faults_reported_before_are_still_shown()
    {
        // The session took the board's reports, then the control server refuses to take the socket from a
        // running simulated gateway: the walk test cannot start, and the dead expander is still shown.
        var config = AnnexConfig();
        using var gateway = new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        gateway.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Socket));
        gateway.Listen();

        var code = await StartAsync(CancellationToken.None, config, services => PowerOff(services, "mcp23017@0x20")).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        var screen = Screen;
        Assert.Matches(@"fault mcp23017@0x20: did not answer at start-up; .* \(fault\.hardware\)", screen);
        AssertShownBefore(screen, "fault mcp23017@0x20", "cannot walk-test: a simulated gateway is listening");
    }

    // The annex sample (an MCP23017 and an MCP3008 on the I/O board), written as the walk test's config.
    private string AnnexConfig() => WriteConfig(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json")));

    // The annex's expander at 0x20 is dead and the inputs fail as failingInputs makes them: the walk test
    // cannot start (exit 1), and the expander's start-up fault is shown before the refusal.
    private async Task AssertDeadExpanderShownBeforeTheRefusalAsync(Action<IServiceCollection> failingInputs)
    {
        var code = await StartAsync(CancellationToken.None, AnnexConfig(), services =>
        {
            PowerOff(services, "mcp23017@0x20");
            failingInputs(services);
        }).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        var screen = Screen;
        Assert.Matches(@"fault mcp23017@0x20: did not answer at start-up; .* \(fault\.hardware\)", screen);
        AssertShownBefore(screen, "fault mcp23017@0x20", "cannot walk-test: Line 24");
    }

    private static void AssertShownBefore(string screen, string first, string then) =>
        Assert.True(screen.IndexOf(first, StringComparison.Ordinal) < screen.IndexOf(then, StringComparison.Ordinal), screen);

    private static void PowerOff(IServiceCollection services, string expander) => services.AddSingleton<IBusDevices>(sp =>
    {
        var buses = sp.GetRequiredService<SimulatedBusDevices>();
        buses.Expander(expander).Powered = false;
        return buses;
    });

    /// <summary>Input lines at rest whose <see cref="Start"/> does what the test says (throw, press Ctrl+C).</summary>
    private sealed class InputsStartingWith(Action start) : Core.Ports.IInputLines
    {
        public bool Read(string pointId) => false;

        public void Start(Action<Core.Ports.RawEdge> onEdge) => start();

        public void Dispose()
        {
        }
    }

    private Task<int> StartAsync(CancellationToken stop, string config, Action<IServiceCollection> configure) =>
        Task.Run(() => WalkTestVerb.RunAsync(config, simulate: true, duration: null, _screen, _screen, stop, configure));
}
