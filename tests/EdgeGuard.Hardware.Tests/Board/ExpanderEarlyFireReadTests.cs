using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Tests.Drivers;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// <see cref="ExpanderBank.ReadBeforeOutputs"/> on a fire input: a chip that kept its power since
/// the last run (a service restart) still holds the configuration the gateway gave it, so its pin
/// is read and egress is not released for nothing at every restart. A chip that does not hold it (a
/// power-on reset, a layout of another site), or does not answer, gives null. Never a write, never
/// a trace.
/// </summary>
public sealed class ExpanderEarlyFireReadTests : IDisposable
{
    private const int FirePin = 2; // A2

    private static readonly PointDefinition Fire = new("fire-annex", PointKind.FireAlarm, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A2" };

    private readonly ExpanderRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Theory]
    [InlineData(true)] // the fire panel's contact open: at rest
    [InlineData(false)] // closed: in alarm
    public void A_chip_that_kept_its_configuration_gives_the_fire_pin_level_and_is_only_read(bool high)
    {
        ConfiguredByLastRun([Panic, Door, Fire], [LockAnnex]);
        _rig.Fake.SetPin(FirePin, high);

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Equal(high, bank.ReadBeforeOutputs("fire-annex"));
        AssertOnlyRead();
        Assert.Empty(_rig.Reported);
        Assert.True(_rig.Fake.PinLevel(LockPin), "the read must leave the lock the last run drove as it is");

        // The boot goes on as before: the outputs open, the settled read gives the same level.
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        Assert.Equal(high, bank.Read("fire-annex"));
        Assert.Empty(_rig.Reported);
    }

    [Fact]
    public void A_chip_just_powered_on_gives_null()
    {
        ConfiguredByLastRun([Panic, Door, Fire], [LockAnnex]);
        _rig.Fake.PowerOnReset(); // a power cut: no pull-ups, the lock pin an input (relay dropped)
        // The panel's contact open: the pin floats without its pull-up.
        _rig.Fake.SetPin(FirePin, null);

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        AssertOnlyRead();
        Assert.Empty(_rig.Reported);
    }

    [Fact]
    public void A_chip_that_does_not_answer_gives_null_and_raises_nothing()
    {
        ConfiguredByLastRun([Panic, Door, Fire], [LockAnnex]);
        _rig.Fake.Nack = _ => true;

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        Assert.Empty(_rig.Reported); // the boot read reports the chip, as before
    }

    [Fact]
    public void A_chip_configured_with_the_fire_pin_as_an_output_gives_null()
    {
        // The last run had another layout: A2 drove a lock. Its latch is no fire level.
        var oldLock = LockAnnex with { LineAddress = "mcp23017@0x20:A2" };
        ConfiguredByLastRun([Panic, Door], [oldLock], lockHigh: true);

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        AssertOnlyRead();
    }

    [Fact]
    public void A_chip_whose_pull_ups_differ_from_this_sites_gives_null()
    {
        // The last run had the fire input without the chip's pull-up (an external resistor).
        ConfiguredByLastRun([Panic, Door, Fire with { Pull = LinePull.None }], [LockAnnex]);

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        AssertOnlyRead();
    }

    [Fact]
    public void A_chip_whose_iocon_is_not_the_gateways_gives_null_before_reading_more()
    {
        ConfiguredByLastRun([Panic, Door, Fire], [LockAnnex]);
        // Another program changed IOCON (SEQOP off): a pair read would return one register twice.
        _rig.Fake.Write([(byte)Mcp23017Register.Iocon, (byte)(Mcp23017.Iocon | Mcp23017Iocon.SequentialDisabled)]);
        _rig.Fake.ClearTransactions();

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        var read = Assert.Single(_rig.Fake.Transactions);
        Assert.Equal([(byte)Mcp23017Register.Iocon], read.Written);
    }

    [Fact]
    public void A_hung_chip_costs_one_attempt_for_all_its_fire_inputs()
    {
        // On a hung bus every transaction waits out the adapter's timeout (about 1 s), all before
        // any output opens: one attempt per chip, not one per fire input.
        var fires = FireInputs(4);
        var attempts = 0;
        _rig.Fake.Nack = _ => { attempts++; return true; };

        using var bank = Bank([Panic, Door, .. fires], [LockAnnex]);

        Assert.All(fires, f => Assert.Null(bank.ReadBeforeOutputs(f.Id)));
        Assert.Equal(1, attempts);
        Assert.Empty(_rig.Reported); // the boot read reports the chip, as before
    }

    [Fact]
    public void Two_fire_inputs_on_a_configured_chip_share_one_configuration_check_and_one_gpio_read()
    {
        var fires = FireInputs(2);
        ConfiguredByLastRun([Panic, Door, .. fires], [LockAnnex]);
        _rig.Fake.SetPin(FirePin, true); // fire-0 (A2): at rest
        _rig.Fake.SetPin(FirePin + 1, false); // fire-1 (A3): in alarm

        using var bank = Bank([Panic, Door, .. fires], [LockAnnex]);

        Assert.True(bank.ReadBeforeOutputs("fire-0"));
        Assert.False(bank.ReadBeforeOutputs("fire-1"));
        AssertOnlyRead();
        Assert.Single(_rig.Fake.Transactions, t => t.Written[0] == (byte)Mcp23017Register.Iocon);
        Assert.Single(_rig.Fake.Transactions, t => t.Written[0] == (byte)Mcp23017Register.GpioA);
        Assert.Equal(5, _rig.Fake.Transactions.Count); // IOCON, IODIR, IPOL, GPPU, GPIO
        Assert.Empty(_rig.Reported);
    }

    [Fact]
    public void A_chip_that_does_not_hold_the_configuration_is_checked_once_for_all_its_fire_inputs()
    {
        var fires = FireInputs(3);
        ConfiguredByLastRun([Panic, Door, .. fires], [LockAnnex]);
        _rig.Fake.PowerOnReset();

        using var bank = Bank([Panic, Door, .. fires], [LockAnnex]);

        Assert.All(fires, f => Assert.Null(bank.ReadBeforeOutputs(f.Id)));
        // IOCON reads its reset value: refused there, for every fire input.
        var read = Assert.Single(_rig.Fake.Transactions);
        Assert.Equal([(byte)Mcp23017Register.Iocon], read.Written);
    }

    [Fact]
    public void A_fire_input_asked_again_is_read_afresh_not_from_the_first_look()
    {
        // The boot asks before it loads the saved state and again before it opens the outputs,
        // seconds later on a slow card: a fire that started in between must be seen.
        ConfiguredByLastRun([Panic, Door, Fire], [LockAnnex]);
        _rig.Fake.SetPin(FirePin, true); // at rest

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.True(bank.ReadBeforeOutputs("fire-annex"));
        _rig.Fake.SetPin(FirePin, false); // the panel goes into alarm during the load
        Assert.False(bank.ReadBeforeOutputs("fire-annex"));
        AssertOnlyRead();
    }

    [Fact]
    public void A_hung_chip_asked_again_is_not_tried_again()
    {
        // The look that gave nothing stands: another bus timeout before the outputs open buys nothing.
        var attempts = 0;
        _rig.Fake.Nack = _ => { attempts++; return true; };

        using var bank = Bank([Panic, Door, Fire], [LockAnnex]);

        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        Assert.Null(bank.ReadBeforeOutputs("fire-annex"));
        Assert.Equal(1, attempts);
    }

    // Fire inputs fire-0, fire-1, ... on A2, A3, ... of the annex chip (A0, A1 and B0 are taken).
    private static PointDefinition[] FireInputs(int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
            Fire with { Id = $"fire-{i}", LineAddress = $"mcp23017@0x20:A{FirePin + i}" })];

    /// <summary>
    /// The gateway's last run: a bank configured the chip at boot, then the service stopped (the
    /// chip keeps its registers and outputs). Recorded transactions are forgotten, so a test sees
    /// only the new run's.
    /// </summary>
    private void ConfiguredByLastRun(PointDefinition[] points, OutputDefinition[] outputs, bool lockHigh = true)
    {
        using (var last = Bank(points, outputs))
        {
            last.OpenOutputs(outputs.ToDictionary(o => o.Id, _ => lockHigh));
        }

        _rig.Fake.ClearTransactions();
    }

    private ExpanderBank Bank(PointDefinition[] points, OutputDefinition[] outputs) =>
        new(_rig.Controller, [Expander], points, outputs, new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);

    // Every transaction a register address and a read: nothing written to the chip.
    private void AssertOnlyRead()
    {
        Assert.NotEmpty(_rig.Fake.Transactions);
        Assert.All(_rig.Fake.Transactions, t =>
        {
            Assert.Single(t.Written);
            Assert.NotEmpty(t.Read);
        });
    }
}
