using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// An expander reset by a brown-out (registers back to power-on defaults) is configured again by the bank's
/// supervision: byte for byte on the register-level fake, and end to end on the simulated chip of the sample.
/// </summary>
public sealed class ExpanderResetTests : IDisposable
{
    private static readonly OutputDefinition LampAnnex = new("lamp-annex", OutputKind.Indicator, -1, true, "annex") { LineAddress = "mcp23017@0x20:B1" };

    private readonly ExpanderRig _rig = new();
    private IOutputLines? _outputs;
    private List<string> _boot = [];

    public void Dispose() => _rig.Dispose();

    /// <summary>The sample's annex on the fake chip, started, with the lock unlocked and then locked (a lockdown).</summary>
    private ExpanderBank Locked()
    {
        var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex, LampAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        _outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false, ["lamp-annex"] = false });
        _boot = [.. _rig.Fake.Transactions.Select(t => t.ToString())];
        bank.Start(_rig.Edges.Add);
        _outputs.Write("lock-annex", true);
        Assert.True(_rig.Fake.PinLevel(LockPin));
        _rig.Fake.ClearTransactions();
        return bank;
    }

    [Fact]
    public void A_reset_chip_is_configured_again_as_at_boot_with_the_lock_at_its_locked_level_and_olat_before_iodir()
    {
        using var bank = Locked();
        _rig.Fake.PowerOnReset();
        Assert.False(_rig.Fake.PinLevel(LockPin), "reset: the lock pin is an input and the relay drops");

        bank.Supervise();

        Assert.True(_rig.Fake.PinLevel(LockPin), "the lock drives its locked level again");
        Assert.Equal((0x44, 0xFF, 0xFC, 0x00, 0x01), (_rig.Fake[0x0A], _rig.Fake[0x00], _rig.Fake[0x01], _rig.Fake[0x14], _rig.Fake[0x15]));
        // Boot's sequence exactly (BANK, IOCON, OLAT, IPOL, GPPU, DEFVAL/INTCON, IODIR, GPINTEN, GPIO), only
        // OLATB now carries the locked level; before it, the IOCON read that found the reset.
        var expected = new List<string> { "W[0A] R[00]" };
        expected.AddRange(_boot.Select(t => t == "W[140000]" ? "W[140001]" : t));
        Assert.Equal("W[12] R[FDFC]", expected[^1]); // at boot: A1 (door) closed, B0 and B1 driven low
        expected[^1] = "W[12] R[FDFD]"; // now B0 is driven high
        Assert.Equal(expected, _rig.Fake.Transactions.Select(t => t.ToString()));
        Assert.True(Index("W[14") < Index("W[00"), "OLAT is written before IODIR makes the pins outputs");
    }

    [Fact]
    public void A_door_opened_while_the_chip_was_reset_is_delivered_and_the_fault_and_restore_are_raised_once()
    {
        using var bank = Locked();
        _rig.Fake.PowerOnReset();
        _rig.Fake.SetPin(1, true); // the door opens: interrupts are off, so no edge comes from the chip
        Assert.Empty(_rig.Edges);

        bank.Supervise();
        bank.Supervise();
        bank.Supervise();

        Assert.Equal([new RawEdge("door-annex", true, _rig.Time.GetTimestamp())], _rig.Edges);
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        var fault = Assert.IsType<HardwareFault>(_rig.Reported[0]);
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains("reset (IOCON read 0x00, expected 0x44)", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("configured again", fault.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("restart", fault.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Single(_rig.Fake.Transactions, t => t.ToString() == "W[0A44]"); // configured once, then only checked

        _rig.Fake.SetPin(0, false); // interrupts work again after the reconfiguration
        Assert.Equal(new RawEdge("panic-annex", false, _rig.Time.GetTimestamp()), _rig.Edges[^1]);
    }

    [Fact]
    public async Task A_release_asked_of_a_chip_found_reset_and_not_configured_again_is_a_failure_and_reads_back_unpowered()
    {
        // Before, the write set only the latch (the pins were inputs) and read back as done: a fire's
        // egress release shown released with the strike unpowered, and no fault.output.
        using var applied = new SemaphoreSlim(0);
        var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        using var outputs = bank.OpenOutputWriters(new Dictionary<string, bool> { ["lock-annex"] = false });
        outputs.OnApplied(() => applied.Release());
        bank.Start(_rig.Edges.Add);
        _rig.Fake.PowerOnReset();
        _rig.Fake.Nack = written => written[0] == 0x00 && written.Length > 1; // its IODIR write refused
        bank.Supervise();

        outputs.Write("lock-annex", true);
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the writer never tried the release");

        Assert.Contains("not configured again yet after a reset", outputs.StateOf("lock-annex").Failure, StringComparison.Ordinal);
        Assert.False(outputs.ReadBack("lock-annex"), "read back as driven while the pin is an input");
        Assert.False(_rig.Fake.PinLevel(LockPin));

        _rig.Fake.Nack = null;
        bank.Supervise();
        Assert.True(_rig.Fake.PinLevel(LockPin), "configured again at the level last asked for");

        // The controller's retry of the failed write: now it takes, and the failure is gone.
        outputs.Write("lock-annex", true);
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the writer never tried the retry");
        Assert.Equal(new OutputWriteState(Pending: false, Failure: null), outputs.StateOf("lock-annex"));
        Assert.True(outputs.ReadBack("lock-annex"));
    }

    [Fact]
    public async Task A_lock_its_writer_had_applied_is_tried_again_and_reads_back_unpowered_while_the_reset_chip_cannot_be_configured()
    {
        // Before, the writer kept what it had achieved before the reset: the lock read back locked with its
        // relay de-energised, and a controller that asked for nothing new never learnt otherwise.
        using var applied = new SemaphoreSlim(0);
        var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        using var outputs = bank.OpenOutputWriters(new Dictionary<string, bool> { ["lock-annex"] = false });
        outputs.OnApplied(() => applied.Release());
        bank.Start(_rig.Edges.Add);
        outputs.Write("lock-annex", true);
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the writer never tried the lock");
        Assert.True(outputs.ReadBack("lock-annex"));

        _rig.Fake.PowerOnReset();
        _rig.Fake.Nack = written => written[0] == 0x00 && written.Length > 1; // its IODIR write refused
        bank.Supervise();

        // Nothing new asked: the writer tries the level it had on its own, fails, and says what the pin does.
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the writer never tried the lock again after the reset");
        Assert.Contains("not configured again yet after a reset", outputs.StateOf("lock-annex").Failure, StringComparison.Ordinal);
        Assert.False(outputs.ReadBack("lock-annex"), "read back locked while the pin is an input and the relay de-energised");
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        _rig.Fake.Nack = null;
        bank.Supervise();
        Assert.True(_rig.Fake.PinLevel(LockPin), "configured again at the level last asked for");

        // The controller's retry of the failed write (it is told by the fault's restore): it takes.
        outputs.Write("lock-annex", true);
        Assert.True(await applied.WaitAsync(TimeSpan.FromSeconds(30)), "the writer never tried the retry");
        Assert.Equal(new OutputWriteState(Pending: false, Failure: null), outputs.StateOf("lock-annex"));
        Assert.True(outputs.ReadBack("lock-annex"));
    }

    [Fact]
    public void A_chip_that_keeps_failing_is_retried_every_pass_with_one_fault_until_it_is_configured()
    {
        using var bank = Locked();
        _rig.Fake.Nack = _ => true; // the brown-out: the chip does not answer at all
        bank.Supervise();
        bank.Supervise();
        _rig.Fake.PowerOnReset();
        _rig.Fake.Nack = written => written[0] == 0x14; // it answers reset, but the OLAT write fails half-way
        bank.Supervise();
        bank.Supervise();
        Assert.Equal(0x44, _rig.Fake[0x0A]); // IOCON took: the next pass must not take that for a configured chip
        bank.Supervise();

        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));
        Assert.Equal(3, _rig.Fake.Transactions.Count(t => t.ToString() == "W[0500]")); // one attempt per pass
        Assert.False(_rig.Fake.PinLevel(LockPin));
        // The plan changes meanwhile: refused (the pins are inputs), read back de-energised, and the
        // last level asked for is the one the chip is configured with.
        Assert.Contains("not configured again yet after a reset", Assert.Throws<HardwareException>(() => _outputs!.Write("lock-annex", false)).Message, StringComparison.Ordinal);
        Assert.Throws<HardwareException>(() => _outputs!.Write("lock-annex", true));
        Assert.False(_outputs!.ReadBack("lock-annex"));

        _rig.Fake.Nack = null;
        bank.Supervise();
        bank.Supervise();

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.True(_rig.Fake.PinLevel(LockPin));
        Assert.Equal(0xFC, _rig.Fake[0x01]);
    }

    [Fact]
    public void On_the_simulated_sample_chip_the_supervision_timer_relocks_the_annex_after_a_brown_out()
    {
        var board = new IoBoardOptions([Expander], [], []);
        var buses = new SimulatedBusDevices(_rig.Host, board);
        var chip = buses.Expander(Expander.Id);
        chip.SetPin(1, false); // the door is closed
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex, LampAnnex], buses, _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true, ["lamp-annex"] = true });
        bank.Start(_rig.Edges.Add);

        chip.PowerOnReset();
        chip.SetPin(1, true);
        Assert.False(chip.PinLevel(LockPin));
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);

        Assert.True(chip.PinLevel(LockPin) && chip.PinLevel(LockPin + 1), "lock and lamp driven again");
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.Equal(["door-annex"], _rig.Edges.Select(e => e.PointId));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
    }

    private int Index(string prefix) => _rig.Fake.Transactions.Select(t => t.ToString()).ToList().FindIndex(t => t.StartsWith(prefix, StringComparison.Ordinal));
}
