using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A chip that answered at boot and stops answering later (a cut I2C harness, its supply lost) must go
/// fail-safe as a chip dead at boot does: its fire and panic points active, or a fire would leave egress
/// locked and a panic button deaf; once it answers again its real levels come back.
/// </summary>
public sealed class ExpanderLostTests : IDisposable
{
    private static readonly PointDefinition Fire = new("fire-annex", PointKind.FireAlarm, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A3" };
    private static readonly PointDefinition Key = new("key-annex", PointKind.Keyswitch, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A2" };

    private readonly ExpanderRig _rig = new(); // the door closed; panic, key and fire released, pulled up

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void A_chip_lost_after_boot_reports_its_points_fail_safe_and_their_real_levels_once_it_answers()
    {
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        Assert.All(new[] { "panic-annex", "key-annex", "fire-annex" }, id => Assert.True(bank.Read(id), $"{id} reads inactive at boot"));
        _rig.Fake.SetPin(2, false); // the guard's key is turned and held
        bank.Supervise();
        Assert.Equal([("key-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        _rig.Edges.Clear();

        _rig.Fake.Powered = false; // the harness is cut
        bank.Supervise();
        Assert.Empty(_rig.Edges); // one failed pass may be a glitch: the fault only
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        bank.Supervise();

        // Every point at the level of a tampered loop: fire and panic active (low), the door open, the key
        // inactive (it must never clear anything while the chip is blind).
        Assert.Equal(
            [("door-annex", true), ("fire-annex", false), ("key-annex", true), ("panic-annex", false)],
            _rig.Edges.Select(e => (e.PointId, e.High)).OrderBy(e => e.PointId, StringComparer.Ordinal));
        Assert.Equal(fault, Assert.Single(_rig.Reported)); // the same fault, not restored and raised again
        Assert.EndsWith("; its points read fail-safe after 2 failed passes in a row, until it answers", fault.Reason, StringComparison.Ordinal);
        // Unread from the first failed pass: an exit button pressed now is not seen (UnreadableExits).
        Assert.Equal(["door-annex", "fire-annex", "key-annex", "panic-annex"], fault.Points);
        bank.Supervise();
        Assert.Equal(4, _rig.Edges.Count); // nothing delivered twice while it stays silent
        _rig.Edges.Clear();

        _rig.Fake.Powered = true; // back, reset: configured again, and its real levels delivered
        bank.Supervise();

        // The key still held is recorded without an edge: held through the blindness, it is no fresh turn.
        Assert.Equal(
            [("door-annex", false), ("fire-annex", true), ("panic-annex", true)],
            _rig.Edges.Select(e => (e.PointId, e.High)).OrderBy(e => e.PointId, StringComparer.Ordinal));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.True(_rig.Fake.PinLevel(LockPin), "the lock was not driven again at its level");
    }

    [Fact]
    public void One_failed_pass_between_good_ones_raises_the_fault_but_moves_no_point()
    {
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);

        // A glitch loses one pass, the next answers; later another single glitch: never two in a row.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            _rig.Fake.Powered = false;
            bank.Supervise();
            _rig.Fake.Powered = true;
            bank.Supervise();
        }

        Assert.Empty(_rig.Edges); // no fire alarm, no lockdown from a glitch: egress stays as it was
        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
    }

    [Fact]
    public void Two_failed_passes_with_a_good_read_between_them_are_two_glitches_not_a_lost_chip()
    {
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);

        _rig.Fake.Nack = _ => true; // a glitch fails a pass
        bank.Supervise();
        _rig.Fake.Nack = null;
        _rig.Fake.SetPin(1, true); // the door opens: its interrupt is serviced, the chip read fine
        _rig.Fake.Nack = _ => true; // another glitch, a second later
        bank.Supervise();

        // Only the door's real edge: no fire alarm, no lockdown from two glitches a read apart.
        Assert.Equal([("door-annex", true)], _rig.Edges.Select(e => (e.PointId, e.High)));

        bank.Supervise(); // a second failed pass with nothing read between: lost
        Assert.Contains(("fire-annex", false), _rig.Edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void A_chip_lost_while_its_interrupt_line_fault_stands_swaps_that_fault_for_the_silence()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon"); // a standing fault from boot: the line is held elsewhere
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        var lineFault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.StartsWith("its interrupt line", lineFault.Reason, StringComparison.Ordinal);
        Assert.Empty(lineFault.Points); // polled without its line: every point is still read

        _rig.Fake.Powered = false; // then the harness is cut
        bank.Supervise();
        bank.Supervise();

        // The office learns why its points go fail-safe (a fire alarm follows), not only "interrupt line".
        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        Assert.EndsWith("; its points read fail-safe after 2 failed passes in a row, until it answers",
            Assert.IsType<HardwareFault>(_rig.Reported[^1]).Reason, StringComparison.Ordinal);
        Assert.Contains(("fire-annex", false), _rig.Edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(4, Assert.IsType<HardwareFault>(_rig.Reported[^1]).Points.Count);
    }

    [Fact]
    public void A_chip_that_answers_again_while_its_interrupt_line_fault_stands_leaves_no_point_unread()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon");
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        _rig.Fake.Powered = false;
        bank.Supervise();
        bank.Supervise();
        _rig.Reported.Clear();

        _rig.Fake.Powered = true; // back, its line still held elsewhere: polled, every point read again
        bank.Supervise();

        // The silence's fault, which named its points unread, is restored, and the line's raised again
        // without them: kept, it held an egress door whose exit button is on the chip released.
        Assert.Equal(["fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        var lineFault = Assert.IsType<HardwareFault>(_rig.Reported[^1]);
        Assert.Contains("its interrupt line", lineFault.Reason, StringComparison.Ordinal); // after the reset it found and repaired
        Assert.Empty(lineFault.Points);
    }
}
