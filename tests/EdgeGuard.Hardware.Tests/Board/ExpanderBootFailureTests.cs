using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A chip that does not answer at start-up, or fails the boot read, must not take the gateway down: it is
/// reported, its points read fail-safe, and supervision configures it once it answers.
/// </summary>
public sealed class ExpanderBootFailureTests : IDisposable
{
    private static readonly PointDefinition Key = new("key-annex", PointKind.Keyswitch, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A2" };

    private readonly ExpanderRig _rig = new(); // the door closed; panic (A0) and key (A2) released, pulled up

    public void Dispose() => _rig.Dispose();

    private ExpanderBank Bank() =>
        new(_rig.Controller, [Expander], [Panic, Door, Key], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);

    [Fact]
    public void A_chip_dead_at_start_up_is_reported_reads_fail_safe_and_is_configured_once_it_answers()
    {
        _rig.Fake.Nack = _ => true; // no power on the chip
        using var bank = Bank();

        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false });
        bank.Start(_rig.Edges.Add);

        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Equal(["door-annex", "key-annex", "panic-annex"], fault.Points); // every input on it, unread
        // The tamper levels: panic and door active, the keyswitch inactive (it must never clear anything).
        Assert.False(bank.Read("panic-annex"), "a blind panic button reads active (low)");
        Assert.True(bank.Read("door-annex"), "a blind door reads open");
        Assert.True(bank.Read("key-annex"), "a blind keyswitch reads inactive (high)");
        Assert.Throws<HardwareException>(() => outputs.Write("lock-annex", true)); // the controller retries it
        Assert.False(outputs.ReadBack("lock-annex"), "a failed write changed the level read back");
        bank.Supervise();
        Assert.Single(_rig.Reported);
        Assert.Empty(_rig.Edges);

        _rig.Fake.Nack = null;
        bank.Supervise();

        Assert.True(_rig.Fake.PinLevel(LockPin), "configured with the level asked for while it was dead");
        Assert.Equal([("panic-annex", true), ("door-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        outputs.Write("lock-annex", false);
        Assert.False(_rig.Fake.PinLevel(LockPin));

        // Started: its interrupts reach the receiver, and nothing is delivered or raised twice.
        bank.Supervise();
        _rig.Fake.SetPin(1, true);
        Assert.Equal(("door-annex", true), (_rig.Edges[^1].PointId, _rig.Edges[^1].High));
        Assert.Equal(3, _rig.Edges.Count);
        Assert.Equal(2, _rig.Reported.Count);
    }

    [Fact]
    public void A_chip_that_fails_the_boot_read_gives_fail_safe_levels_and_its_real_ones_once_it_answers()
    {
        using var bank = Bank();
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        _rig.Fake.Nack = _ => true;

        Assert.True(bank.Read("door-annex"));
        Assert.False(bank.Read("panic-annex"));
        Assert.Equal("mcp23017@0x20", Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Device);

        _rig.Fake.Nack = null;
        bank.Supervise();

        Assert.Equal([("panic-annex", true), ("door-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.True(_rig.Fake.PinLevel(LockPin));
        Assert.True(outputs.ReadBack("lock-annex"));
    }

    [Fact]
    public void A_boot_read_failing_under_a_fault_that_names_no_points_raises_it_anew_naming_the_chips_inputs()
    {
        _rig.Host.HoldElsewhere(IntLine, "gpiomon"); // a fault from the start that leaves every point read (polled)
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        Assert.Empty(Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Points);
        _rig.Fake.Nack = _ => true;

        Assert.True(bank.Read("key-annex")); // fail-safe: inactive

        // Kept, the line's fault would have left the points read fail-safe unnamed: an exit button there
        // reading "not pressed" with its egress door held locked.
        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        Assert.Equal(["door-annex", "key-annex", "panic-annex"], Assert.IsType<HardwareFault>(_rig.Reported[^1]).Points);
        Assert.True(bank.Read("door-annex"));
        Assert.Equal(3, _rig.Reported.Count); // named once for the chip, not per point
    }

    [Fact]
    public async Task A_pass_cannot_restore_a_boot_reads_fault_before_it_is_reported()
    {
        // The boot read's fault is held in its report; meanwhile the chip answers and a pass comes.
        var reported = new List<DomainEvent>();
        using var reporting = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var first = 1;
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Key], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, events =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                reporting.Release();
                release.Wait();
            }

            lock (reported)
            {
                reported.AddRange(events);
            }
        });
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        _rig.Fake.Nack = _ => true;
        var read = Task.Run(() => bank.Read("key-annex"));
        Assert.True(await reporting.WaitAsync(TimeSpan.FromSeconds(10)), "the boot read raised no fault");
        _rig.Fake.Nack = null;

        bank.Supervise(); // a pass now would find the chip answering and restore the fault not yet reported
        release.Set();
        await read;
        bank.Supervise();

        // Restore before fault, the controller took the chip's inputs as unread for good (door released).
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], reported.Select(e => e.Type));
    }

    [Fact]
    public void One_failed_transaction_at_the_boot_read_is_read_again_not_a_fail_safe_level()
    {
        // One transaction lost to a glitch on the I2C wires: while running it takes two failed passes in a
        // row to go fail-safe, and at boot a fire input's fail-safe level latches the egress release.
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        _rig.Fake.FailNext = new IOException("NACK");

        Assert.True(bank.Read("panic-annex"), "one failed transaction made a released panic button read active");
        Assert.False(bank.Read("door-annex"));
        Assert.Empty(_rig.Reported);

        bank.Supervise();
        Assert.Empty(_rig.Edges);
        Assert.Empty(_rig.Reported);
    }

    [Fact]
    public void A_chip_with_only_outputs_dead_at_start_up_is_configured_by_supervision_once_it_answers()
    {
        // A relay expander: locks only, so the composition never adds it to the inputs and never calls Start.
        _rig.Fake.Nack = _ => true;
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false });
        Assert.Throws<HardwareException>(() => outputs.Write("lock-annex", true)); // the controller's plan: locked
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));

        _rig.Fake.Nack = null;
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);

        Assert.True(_rig.Fake.PinLevel(LockPin), "the lock was not driven at the level asked for once its chip answered");
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        outputs.Write("lock-annex", false);
        Assert.False(_rig.Fake.PinLevel(LockPin));

        // Disposing the outputs stops supervision: nothing is reported about lines that are closed.
        outputs.Dispose();
        _rig.Time.Advance(ExpanderBank.SupervisionInterval * 3);
        Assert.Equal(2, _rig.Reported.Count);
    }

    [Fact]
    public void An_adc_dead_at_boot_gives_the_fail_safe_level_and_its_real_one_once_two_polls_read_it()
    {
        var fire = new PointDefinition("fire-annex", PointKind.FireAlarm, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };
        var dead = true;
        using var lines = new EolLoopLines("mcp3008@0.0", _ => dead ? throw new HardwareException("no answer") : 470, TimeSpan.FromMilliseconds(50),
            [new SupervisedLoop(fire, 0, new EolLoopClassifier(new EolThresholds(EolWiring.Double, 341, 599, 818)))], _rig.Time, _rig.Reported.AddRange);
        lines.Start(_rig.Edges.Add);

        Assert.True(lines.Read("fire-annex"), "a fire input on a dead ADC must read active");
        Assert.Equal("fault.hardware", Assert.Single(_rig.Reported).Type);

        dead = false;
        lines.Poll();
        Assert.Empty(_rig.Edges); // one reading is not yet a state
        lines.Poll();
        Assert.Equal([("fire-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
    }
}
