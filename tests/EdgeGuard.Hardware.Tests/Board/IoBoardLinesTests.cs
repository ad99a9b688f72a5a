using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>Supervised loops and expander banks behind the Core ports, on the simulated chips.</summary>
public sealed class IoBoardLinesTests
{
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];
    private readonly int[] _readings = new int[8];

    private static PointDefinition Point(string id, PointKind kind, bool activeHigh = true) =>
        new(id, kind, -1, activeHigh, LinePull.None, TimeSpan.FromMilliseconds(200), "perimeter") { LineAddress = $"mcp3008@0.0:CH0" };

    /// <summary>Polls as often as a loop's new state needs to be accepted (<see cref="EolLoopLines.ConfirmingSamples"/>).</summary>
    private static void PollAgreeing(EolLoopLines lines)
    {
        for (var i = 0; i < EolLoopLines.ConfirmingSamples; i++)
        {
            lines.Poll();
        }
    }

    private EolLoopLines Loops(params SupervisedLoop[] loops) =>
        new("mcp3008@0.0", ch => _readings[ch], TimeSpan.FromMilliseconds(50), loops, _time, e => _reported.AddRange(e));

    [Fact]
    public void A_cut_loop_raises_one_tamper_and_reads_active_and_a_repair_restores_both()
    {
        var fence = Point("fence-east", PointKind.Perimeter);
        using var lines = Loops(new SupervisedLoop(fence, 0, new EolLoopClassifier(DoubleEol)));
        _readings[0] = 470;
        lines.Start(_edges.Add);
        PollAgreeing(lines);
        Assert.Equal([new RawEdge("fence-east", false, _time.GetTimestamp())], _edges);

        _readings[0] = 1023;
        PollAgreeing(lines);
        var tamper = Assert.IsType<EolTamperDetected>(Assert.Single(_reported));
        Assert.Equal((LoopTamper.Open, 1023, "perimeter"), (tamper.Condition, tamper.Reading, tamper.Zone));
        Assert.True(_edges[^1].High, "a cut perimeter loop is a breach");
        Assert.True(lines.Read("fence-east"));

        _readings[0] = 470;
        PollAgreeing(lines);
        Assert.Equal(LoopTamper.Open, Assert.IsType<EolTamperRestored>(_reported[^1]).Condition);
        Assert.False(_edges[^1].High);
        Assert.Equal(3, _edges.Count);
    }

    [Fact]
    public void The_timer_polls_and_an_alarm_reading_is_an_edge_without_a_fault()
    {
        var fence = Point("fence-east", PointKind.Perimeter);
        using var lines = Loops(new SupervisedLoop(fence, 0, new EolLoopClassifier(DoubleEol)));
        _readings[0] = 470;
        lines.Start(_edges.Add);
        // Two polls each: a state is accepted once two readings in a row agree.
        _time.Advance(TimeSpan.FromMilliseconds(50) * EolLoopLines.ConfirmingSamples);
        _readings[0] = 700;
        _time.Advance(TimeSpan.FromMilliseconds(50) * EolLoopLines.ConfirmingSamples);

        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_tampered_keyswitch_loop_reads_inactive_so_a_cut_cable_never_clears_a_lockdown()
    {
        var key = Point("key-annex", PointKind.Keyswitch, activeHigh: false);
        using var lines = Loops(new SupervisedLoop(key, 3, new EolLoopClassifier(DoubleEol)));
        _readings[3] = 0;

        Assert.True(lines.Read("key-annex"), "inactive = high for an active-low point");
        Assert.False(TamperedLoop.ReadsActive(PointKind.Keyswitch));
        Assert.False(TamperedLoop.ReadsActive(PointKind.RequestToExit));
        Assert.True(TamperedLoop.ReadsActive(PointKind.FireAlarm));
    }

    [Fact]
    public void A_dead_adc_is_one_hardware_fault_its_loops_read_fail_safe_meanwhile_and_it_recovers()
    {
        var fence = Point("fence-east", PointKind.Perimeter);
        var fire = Point("fire-annex", PointKind.FireAlarm) with { LineAddress = "mcp3008@0.0:CH1" };
        var key = Point("key-annex", PointKind.Keyswitch, activeHigh: false) with { LineAddress = "mcp3008@0.0:CH2" };
        var dead = false;
        using var lines = new EolLoopLines("mcp3008@0.0", ch => dead ? throw new HardwareException("no answer") : 470,
            TimeSpan.FromMilliseconds(50),
            [
                new SupervisedLoop(fence, 0, new EolLoopClassifier(DoubleEol)),
                new SupervisedLoop(fire, 1, new EolLoopClassifier(DoubleEol)),
                new SupervisedLoop(key, 2, new EolLoopClassifier(DoubleEol)),
            ],
            _time, e => _reported.AddRange(e));
        lines.Start(_edges.Add);
        PollAgreeing(lines);
        Assert.Equal([("fence-east", false), ("fire-annex", false), ("key-annex", true)], _edges.Select(e => (e.PointId, e.High)));
        _edges.Clear();

        // Blind: every loop reads as a tampered one would. The fire input is active (egress released),
        // the fence is a breach, and the keyswitch stays inactive (high, active-low): nothing is cleared.
        dead = true;
        PollAgreeing(lines);
        Assert.Equal([("fence-east", true), ("fire-annex", true)], _edges.Select(e => (e.PointId, e.High)));
        _edges.Clear();

        dead = false;
        PollAgreeing(lines);

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        Assert.Equal("mcp3008@0.0", ((HardwareFault)_reported[0]).Device);
        Assert.Equal([("fence-east", false), ("fire-annex", false)], _edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void Expander_bank_configures_outputs_at_their_initial_level_and_delivers_pin_edges()
    {
        var driver = new SimulatedGpioDriver();
        using var controller = new GpioController(driver);
        var expander = new ExpanderOptions("mcp23017@0x20", 1, 0x20, 4);
        var board = new IoBoardOptions([expander], [], []);
        var buses = new SimulatedBusDevices(driver, board);
        var chip = buses.Expander("mcp23017@0x20");
        var panic = new PointDefinition("panic-annex", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
        var lockAnnex = new OutputDefinition("lock-annex", OutputKind.Lock, -1, true, "annex") { LineAddress = "mcp23017@0x20:B0" };
        using var bank = new ExpanderBank(controller, [expander], [panic], [lockAnnex], buses, _time, e => _reported.AddRange(e));

        Assert.Throws<InvalidOperationException>(() => bank.Read("panic-annex"));
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        Assert.True(chip.PinLevel(8), "the lock comes up at the restored level");
        Assert.True(bank.Read("panic-annex"), "pull-up: released");

        bank.Start(_edges.Add);
        chip.SetPin(0, false);
        outputs.Write("lock-annex", false);
        bank.Supervise();

        Assert.Equal([new RawEdge("panic-annex", false, _time.GetTimestamp())], _edges);
        Assert.False(chip.PinLevel(8));
        Assert.Empty(_reported);
    }

    [Fact]
    public void Routed_lines_send_each_id_to_its_part_and_refuse_a_point_wired_twice()
    {
        var fence = Point("fence-east", PointKind.Perimeter);
        var loops = Loops(new SupervisedLoop(fence, 0, new EolLoopClassifier(DoubleEol)));
        _readings[0] = 700;
        using var routed = new RoutedInputLines([(loops, loops.PointIds)]);

        Assert.True(routed.Read("fence-east"));
        Assert.Throws<KeyNotFoundException>(() => routed.Read("door-lobby"));
        Assert.Throws<ArgumentException>(() => new RoutedInputLines([(loops, ["a"]), (loops, ["a"])]));
    }
}
