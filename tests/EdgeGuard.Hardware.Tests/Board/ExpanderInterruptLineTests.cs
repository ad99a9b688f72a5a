using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// An expander whose INTA does not reach the host (a cut or loose wire: the host's pull-up keeps the line high,
/// the chip still answers and IOCON reads right) or is held low: supervision reads the chip anyway, delivers what
/// the line never announced, raises one fault, reads the chip every 25 ms while it stands, and restores it once
/// the line has announced a change again and missed none for 30 s.
/// </summary>
public sealed class ExpanderInterruptLineTests : IDisposable
{
    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(25); // Mcp23017Lines.FastPollInterval

    private readonly ExpanderRig _rig = new(); // the door closed; the panic button released

    public void Dispose() => _rig.Dispose();

    private ExpanderBank Started()
    {
        var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        return bank;
    }

    /// <summary>Lets time pass in 5 ms steps, so every timer fires at its own moment.</summary>
    private void Run(TimeSpan span)
    {
        for (var left = span; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(5))
        {
            _rig.Time.Advance(TimeSpan.FromMilliseconds(5));
        }
    }

    private IEnumerable<bool> PanicEdges() => _rig.Edges.Where(e => e.PointId == Panic.Id).Select(e => e.High);

    [Fact]
    public void A_panic_press_the_cut_interrupt_line_never_announced_is_delivered_by_the_supervision_pass_with_one_fault()
    {
        using var bank = Started();
        _rig.IntWired = false;

        _rig.Fake.SetPin(0, false); // pressed: the chip latches it and asserts INTA, which reaches nothing
        Assert.Empty(_rig.Edges);
        bank.Supervise();

        Assert.Equal([new RawEdge("panic-annex", false, _rig.Time.GetTimestamp())], _rig.Edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains("interrupt line (host GPIO 4) is not asserting", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("held an interrupt for A0", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("reading the chip every 25 ms", fault.Reason, StringComparison.Ordinal);

        _rig.Fake.SetPin(0, true);
        bank.Supervise();
        bank.Supervise();
        Assert.Equal([false, true], PanicEdges());
        Assert.Single(_rig.Reported); // one fault for the episode
    }

    [Fact]
    public void While_the_line_is_faulty_the_chip_is_read_every_25_ms_so_two_short_presses_within_a_second_are_both_delivered()
    {
        using var bank = Started();
        _rig.IntWired = false;
        _rig.Fake.SetPin(1, true); // the door opens
        Run(ExpanderBank.SupervisionInterval);
        Assert.Equal([("door-annex", true)], _rig.Edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));
        _rig.Edges.Clear();

        // Two presses of 40 ms within 200 ms: the chip latches only the first change until it is read, so one
        // read a second would see a single press.
        var changes = new List<long>();
        foreach (var level in new[] { false, true, false, true })
        {
            Run(TimeSpan.FromMilliseconds(40));
            _rig.Fake.SetPin(0, level);
            changes.Add(_rig.Time.GetTimestamp());
        }

        Run(TimeSpan.FromMilliseconds(40));

        Assert.Equal([false, true, false, true], PanicEdges());
        for (var i = 0; i < changes.Count; i++)
        {
            Assert.InRange(_rig.Time.GetElapsedTime(changes[i], _rig.Edges[i].Timestamp), TimeSpan.Zero, FastPoll);
        }

        Assert.Single(_rig.Reported);
    }

    [Fact]
    public void The_fault_is_restored_once_the_repaired_line_announces_a_change_and_no_miss_was_found_for_30_s()
    {
        using var bank = Started();
        _rig.IntWired = false;
        _rig.Fake.SetPin(0, false);
        Run(ExpanderBank.SupervisionInterval); // the miss, and the fault
        Run(TimeSpan.FromSeconds(1));

        _rig.IntWired = true; // repaired
        _rig.Fake.SetPin(0, true); // announced by a falling edge: delivered by the callback at once
        Assert.Equal(new RawEdge("panic-annex", true, _rig.Time.GetTimestamp()), _rig.Edges[^1]);
        Run(TimeSpan.FromSeconds(27)); // 29 s after the miss
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        Run(TimeSpan.FromSeconds(2));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));

        // Trusted again: back to one read a second, driven by the supervision pass alone.
        _rig.Fake.ClearTransactions();
        Run(TimeSpan.FromSeconds(10));
        Assert.Equal(30, _rig.Fake.Transactions.Count); // IOCON, INTF, INTF/INTCAP/GPIO per pass
        Assert.Equal(2, _rig.Reported.Count);
    }

    [Fact]
    public void A_loose_wire_that_misses_again_keeps_its_one_fault_until_it_has_worked_for_30_s()
    {
        using var bank = Started();
        _rig.IntWired = false;
        _rig.Fake.SetPin(0, false);
        Run(ExpanderBank.SupervisionInterval);
        _rig.IntWired = true;
        _rig.Fake.SetPin(0, true); // works once

        Run(TimeSpan.FromSeconds(9));
        _rig.IntWired = false; // and loses contact again
        _rig.Fake.SetPin(0, false);
        Run(TimeSpan.FromSeconds(25)); // 34 s after the first miss, 25 s after the second
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        _rig.IntWired = true;
        _rig.Fake.SetPin(0, true);
        Run(TimeSpan.FromSeconds(6));

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.Equal([false, true, false, true], PanicEdges());
    }

    [Fact]
    public void A_line_held_low_with_no_interrupt_pending_is_a_fault_and_the_chip_is_read_every_25_ms_instead()
    {
        using var bank = Started();
        _rig.IntWired = false;
        _rig.Host.SetInputLevel(IntLine, false); // INTA shorted to ground: no falling edge can announce a change

        Run(ExpanderBank.SupervisionInterval);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Contains("interrupt line (host GPIO 4) is asserted while the chip has no interrupt pending", fault.Reason, StringComparison.Ordinal);

        _rig.Fake.SetPin(0, false);
        Run(TimeSpan.FromMilliseconds(40));
        _rig.Fake.SetPin(0, true);
        Run(TimeSpan.FromMilliseconds(40));

        Assert.Equal([false, true], PanicEdges());
        Assert.Single(_rig.Reported);
    }

    [Fact]
    public void A_working_line_raises_nothing_and_supervision_reads_the_chip_once_a_second()
    {
        using var bank = Started();
        _rig.Fake.ClearTransactions();

        Run(ExpanderBank.SupervisionInterval);
        // IOCON (a reset?), INTF alone (leaves INTA asserted, to compare with the host line), then the usual read.
        Assert.Equal(["W[0A] R[44]", "W[0E] R[0000]", "W[0E] R[00000000FDFF]"], _rig.Fake.Transactions.Select(t => t.ToString()));

        _rig.Fake.SetPin(0, false);
        Run(TimeSpan.FromMilliseconds(100));
        _rig.Fake.SetPin(0, true);
        Run(TimeSpan.FromSeconds(3));

        Assert.Equal([false, true], PanicEdges());
        Assert.Empty(_rig.Reported);
        Assert.Equal(14, _rig.Fake.Transactions.Count); // two interrupts and four passes: no fast polling
    }

    [Fact]
    public void A_change_cleared_by_a_Read_is_delivered_but_is_no_evidence_against_the_line()
    {
        using var bank = Started();
        _rig.IntWired = false;
        _rig.Fake.SetPin(0, false);
        Assert.False(bank.Read("panic-annex")); // reading GPIO clears the latched interrupt without delivering it

        bank.Supervise();
        Assert.Equal([false], PanicEdges());
        Assert.Empty(_rig.Reported); // a working line would have looked the same

        _rig.Fake.SetPin(0, true); // the next change is latched, and the line does not assert for it
        bank.Supervise();
        Assert.Equal([false, true], PanicEdges());
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));
    }

    [Fact]
    public void A_chip_whose_interrupt_line_another_process_holds_reads_real_levels_drives_outputs_and_is_polled()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon"); // a leftover gpiomon, or an overlay that claimed the GPIO
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);

        // One fault at once, naming the line and the kernel's refusal: the chip answers, it is not dead.
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.StartsWith("its interrupt line (host GPIO 4) could not be requested", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("requested by 'gpiomon' (EBUSY)", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("every 25 ms", fault.Reason, StringComparison.Ordinal);
        Assert.True(_rig.Fake.PinLevel(LockPin), "the chip was not configured with its outputs at the boot plan");
        Assert.True(bank.Read("panic-annex"), "a released panic button read pressed (fail-safe) on a chip that answers");
        Assert.False(bank.Read("door-annex"), "a closed door read open (fail-safe) on a chip that answers");

        outputs.Write("lock-annex", false); // no throw: the controller has no fault.output to raise
        Assert.False(_rig.Fake.PinLevel(LockPin));
        Assert.False(outputs.ReadBack("lock-annex"));

        // A press and its release, each seen within one fast poll though no interrupt can announce them.
        _rig.Fake.SetPin(0, false);
        Run(FastPoll);
        _rig.Fake.SetPin(0, true);
        Run(FastPoll);
        Assert.Equal([false, true], PanicEdges());
        Run(ExpanderBank.SupervisionInterval * 3);
        Assert.Equal(2, _rig.Edges.Count);
        Assert.Single(_rig.Reported); // one fault for the episode, however often the line is requested again
    }

    [Fact]
    public void An_interrupt_line_the_other_process_lets_go_of_is_requested_by_the_next_pass_and_the_fault_restored()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon");
        using var bank = Started();
        Run(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        _rig.Host.ReleaseElsewhere(IntLine); // the technician stops gpiomon
        Run(ExpanderBank.SupervisionInterval);

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.Equal(System.Device.Gpio.PinMode.InputPullUp, _rig.Host.ModeOf(IntLine));
        _rig.Fake.SetPin(0, false); // announced by the line: delivered by the callback at once
        Assert.Equal(new RawEdge("panic-annex", false, _rig.Time.GetTimestamp()), Assert.Single(_rig.Edges));

        // Back to one read a second: IOCON, INTF, INTF/INTCAP/GPIO per pass, no fast polling.
        _rig.Fake.ClearTransactions();
        Run(TimeSpan.FromSeconds(2));
        Assert.Equal(6, _rig.Fake.Transactions.Count);
        Assert.Equal(2, _rig.Reported.Count);
    }

    [Fact]
    public void A_chip_answering_only_late_with_its_line_held_elsewhere_swaps_its_dead_chip_fault_for_the_refusal()
    {
        _rig.Fake.Nack = _ => true; // no power at boot
        _rig.Host.HoldElsewhere(IntLine, "gpiomon");
        using var bank = Started();
        Assert.Contains("did not answer", Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Reason, StringComparison.Ordinal);

        _rig.Fake.Nack = null;
        bank.Supervise();

        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        var refusal = Assert.IsType<HardwareFault>(_rig.Reported[^1]);
        Assert.StartsWith("its interrupt line (host GPIO 4) could not be requested", refusal.Reason, StringComparison.Ordinal);
        Assert.Contains("requested by 'gpiomon' (EBUSY)", refusal.Reason, StringComparison.Ordinal);
        Run(ExpanderBank.SupervisionInterval * 3);
        Assert.Equal(3, _rig.Reported.Count); // that one stands for the episode
    }

    [Fact]
    public void A_refused_line_got_by_a_pass_that_judges_it_faulty_swaps_the_refusal_for_the_line_fault()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon");
        using var bank = Started();
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        _rig.Host.ReleaseElsewhere(IntLine);
        _rig.IntWired = false; // and its INTA wire is cut
        _rig.Fake.SetPin(0, false);
        bank.Supervise();

        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        var fault = Assert.IsType<HardwareFault>(_rig.Reported[^1]);
        Assert.Contains("interrupt line (host GPIO 4) is not asserting", fault.Reason, StringComparison.Ordinal);
        Assert.Equal([false], PanicEdges());
        Run(ExpanderBank.SupervisionInterval * 3);
        Assert.Equal(3, _rig.Reported.Count);
    }

    [Fact]
    public void A_chip_with_outputs_only_whose_line_another_process_holds_raises_nothing_and_is_not_polled()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon");
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        _rig.Fake.ClearTransactions();

        Run(ExpanderBank.SupervisionInterval * 2);

        Assert.Empty(_rig.Reported);
        Assert.Equal(2, _rig.Fake.Transactions.Count(t => t.ToString().StartsWith("W[0A]", StringComparison.Ordinal)));
        Assert.Equal(2, _rig.Fake.Transactions.Count); // IOCON per pass: no fast poll
        outputs.Write("lock-annex", false);
        Assert.False(_rig.Fake.PinLevel(LockPin));
    }
}
