using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Tests.Drivers;

public sealed class Mcp23017Tests
{
    // A0..A3 contacts, A4..A7 relays, B0..B7 contacts; B0 inverted, B1 compared with DEFVAL (expected high).
    private static readonly Mcp23017Configuration Mixed = new()
    {
        Inputs = 0xFF0F,
        PullUps = 0xFF0F,
        InvertedInputs = 0x0100,
        InterruptPins = 0xFF0F,
        CompareWithDefault = 0x0200,
        DefaultValues = 0x0200,
        InitialOutputs = 0x0050,
    };

    private readonly FakeMcp23017 _fake = new();
    private readonly Mcp23017 _chip;

    public Mcp23017Tests() => _chip = new Mcp23017(_fake);

    private string[] Traffic() => [.. _fake.Transactions.Select(t => t.ToString())];

    [Fact]
    public void Initialize_sends_the_documented_register_sequence_byte_for_byte()
    {
        var levels = _chip.Initialize(Mixed);

        Assert.Equal(
            [
                "W[0500]",          // BANK = 1 recovery (GPINTENB in BANK = 0)
                "W[0A44]",          // IOCON = MIRROR | ODR
                "W[145000]",        // OLATA, OLATB before the direction
                "W[020001]",        // IPOLA, IPOLB
                "W[0C0FFF]",        // GPPUA, GPPUB
                "W[0600020002]",    // DEFVALA, DEFVALB, INTCONA, INTCONB
                "W[000FFF]",        // IODIRA, IODIRB
                "W[040FFF]",        // GPINTENA, GPINTENB last
                "W[12] R[5FFE]",    // GPIOA, GPIOB: clears any pending interrupt
            ],
            Traffic());
        // A0..A3 pulled high, A4 and A6 driven high from the latch; port B pulled high with B0 read inverted.
        Assert.Equal(0xFE5F, levels);
        Assert.Equal(0x50, _chip.OutputLatch);
        Assert.True(_fake.IntLevel);
    }

    [Fact]
    public void Initialize_leaves_the_register_file_as_configured()
    {
        _chip.Initialize(Mixed);

        Assert.Equal(0x44, _fake[0x0A]);
        Assert.Equal(0x44, _fake[0x0B]);
        Assert.Equal([0x0F, 0xFF], new[] { _fake[0x00], _fake[0x01] });
        Assert.Equal([0x0F, 0xFF], new[] { _fake[0x04], _fake[0x05] });
        Assert.Equal([0x00, 0x02], new[] { _fake[0x08], _fake[0x09] });
        Assert.Equal([0x50, 0x00], new[] { _fake[0x14], _fake[0x15] });
        Assert.Equal((byte)0x44, _chip.ReadRegister(Mcp23017Register.Iocon));
    }

    [Fact]
    public void A_chip_left_in_bank_1_is_brought_back_to_bank_0_before_anything_else()
    {
        _fake.ForceBank1();

        var levels = _chip.Initialize(Mixed);

        Assert.Equal(0x44, _fake[0x0A]);
        Assert.Equal(0x0F, _fake[0x00]);
        Assert.Equal(0x50, _fake[0x14]);
        Assert.Equal(0xFE5F, levels);
    }

    [Fact]
    public void An_inconsistent_configuration_is_refused_with_every_problem_and_nothing_is_sent()
    {
        var bad = new Mcp23017Configuration { Inputs = 0x00FF, PullUps = 0x0300, InterruptPins = 0x0100, InitialOutputs = 0x0001 };

        var ex = Assert.Throws<ArgumentException>(() => _chip.Initialize(bad));

        Assert.Contains("mcp23017".ToUpperInvariant(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("pull-up (GPPU) set on output pins B0, B1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("interrupt (GPINTEN) enabled on output pins B0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("initial output level (OLAT) set on input pins A0", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Transactions);
    }

    [Fact]
    public void ReadLevels_reads_both_ports_in_one_transaction()
    {
        _chip.Initialize(Mixed);
        _fake.ClearTransactions();
        _fake.SetPin(2, false);   // A2
        _fake.SetPin(15, false);  // B7

        var levels = _chip.ReadLevels();

        Assert.Equal(0x7E5B, levels);
        Assert.Equal(["W[12] R[5B7E]"], Traffic());
    }

    [Fact]
    public void WritePin_writes_only_its_ports_latch_from_the_cached_value_without_reading()
    {
        _chip.Initialize(Mixed);
        _fake.ClearTransactions();

        _chip.WritePin(5, high: true);   // A5 on
        _chip.WritePin(4, high: false);  // A4 off
        _chip.WritePin(6, high: true);   // already on: still written, the chip is told what it already has

        Assert.Equal(["W[1470]", "W[1460]", "W[1460]"], Traffic());
        Assert.Equal(0x60, _chip.OutputLatch);
        Assert.True(_fake.PinLevel(5));
        Assert.False(_fake.PinLevel(4));
    }

    [Fact]
    public void WritePin_on_port_B_writes_OLATB()
    {
        _chip.Initialize(new Mcp23017Configuration { Inputs = 0x00FF });
        _fake.ClearTransactions();

        _chip.WritePin(9, high: true);

        Assert.Equal(["W[1502]"], Traffic());
        Assert.True(_fake.PinLevel(9));
    }

    [Fact]
    public void WriteOutputs_writes_both_latches_in_one_transaction()
    {
        _chip.Initialize(new Mcp23017Configuration { Inputs = 0x0000 });
        _fake.ClearTransactions();

        _chip.WriteOutputs(0xA55A);

        Assert.Equal(["W[145AA5]"], Traffic());
        Assert.Equal(0xA55A, _chip.OutputLatch);
        Assert.Equal(0xA55A, Enumerable.Range(0, 16).Sum(pin => _fake.PinLevel(pin) ? 1 << pin : 0));
    }

    [Fact]
    public void A_failed_latch_write_keeps_the_cached_latch_so_a_retry_rewrites_it()
    {
        _chip.Initialize(new Mcp23017Configuration { Inputs = 0xFF00 });
        _fake.FailNext = new IOException("Remote I/O error");

        var ex = Assert.Throws<HardwareException>(() => _chip.WritePin(3, high: true));

        Assert.Contains("MCP23017 at 0x20 on I2C bus 1 did not answer while accessing OLATA: Remote I/O error", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _chip.OutputLatch);
        Assert.False(_fake.PinLevel(3));
    }

    [Fact]
    public void An_input_change_asserts_INT_and_ReadInterrupt_reads_INTF_then_INTCAP_then_GPIO_and_releases_it()
    {
        _chip.Initialize(Mixed);
        _fake.ClearTransactions();

        _fake.SetPin(1, false); // A1 opens
        Assert.False(_fake.IntLevel);

        var irq = _chip.ReadInterrupt();

        // INTCAPB reads 00: port B never interrupted, so its capture register was never loaded.
        Assert.Equal(["W[0E] R[02005D005DFE]"], Traffic());
        Assert.Equal(new Mcp23017Interrupt(0x0002, 0x005D, 0xFE5D), irq);
        Assert.True(_fake.IntLevel);
        Assert.Equal(0, _fake[0x0E]);
    }

    [Fact]
    public void A_change_that_reverts_before_the_read_shows_in_INTCAP_but_not_in_GPIO()
    {
        _chip.Initialize(Mixed);

        _fake.SetPin(0, false); // pressed...
        _fake.SetPin(0, true);  // ...and released before the host read

        var irq = _chip.ReadInterrupt();

        Assert.Equal(0x0001, irq.Flags);
        Assert.Equal(0, irq.Captured & 1);
        Assert.Equal(1, irq.Levels & 1);
    }

    [Fact]
    public void A_port_B_change_asserts_INTA_because_the_ports_are_mirrored()
    {
        _chip.Initialize(Mixed);

        _fake.SetPin(11, false); // B3

        Assert.False(_fake.IntLevel);
        var irq = _chip.ReadInterrupt();
        Assert.Equal(0x0800, irq.Flags);
        Assert.True(_fake.IntLevel);
    }

    [Fact]
    public void A_compare_with_default_pin_keeps_INT_asserted_while_it_differs()
    {
        _chip.Initialize(Mixed);

        _fake.SetPin(9, false); // B1 leaves its default (high)
        var first = _chip.ReadInterrupt();

        Assert.Equal(0x0200, first.Flags);
        Assert.False(_fake.IntLevel); // re-asserted at once: the condition persists
        _fake.SetPin(9, true);
        _chip.ReadInterrupt();
        Assert.True(_fake.IntLevel);
    }

    [Fact]
    public void Output_pins_and_pins_without_interrupt_do_not_assert_INT()
    {
        _chip.Initialize(Mixed with { InterruptPins = 0x0201 });

        _fake.SetPin(4, false);  // output A4: the latch wins
        _fake.SetPin(3, false);  // input A3 without interrupt

        Assert.True(_fake.IntLevel);
        Assert.True(_fake.PinLevel(4));
    }

    [Fact]
    public void A_register_pair_is_read_in_one_transaction_and_nothing_is_written()
    {
        _chip.Initialize(Mixed);
        _fake.ClearTransactions();

        Assert.Equal(0xFF0F, _chip.ReadRegisterPair(Mcp23017Register.IodirA));
        Assert.Equal(0xFF0F, _chip.ReadRegisterPair(Mcp23017Register.GppuA));
        Assert.Equal(["W[00] R[0FFF]", "W[0C] R[0FFF]"], Traffic());
    }

    [Fact]
    public void A_register_pair_that_cannot_be_read_is_named_as_the_datasheet_names_it()
    {
        _chip.Initialize(Mixed);
        _fake.FailNext = new IOException("Remote I/O error");

        var ex = Assert.Throws<HardwareException>(() => _chip.ReadRegisterPair(Mcp23017Register.GpintenA));

        Assert.Contains("did not answer while accessing GPINTEN: Remote I/O error", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Mcp23017Register.IodirB)] // the B register of a pair
    [InlineData(Mcp23017Register.Iocon)] // one register at two addresses, no pair
    public void A_register_pair_must_start_at_a_port_A_register(Mcp23017Register register)
    {
        Assert.Throws<ArgumentException>(() => _chip.ReadRegisterPair(register));
        Assert.Empty(_fake.Transactions);
    }

    [Fact]
    public void A_bus_error_during_the_interrupt_read_names_the_chip_and_leaves_INT_asserted()
    {
        _chip.Initialize(Mixed);
        _fake.SetPin(0, false);
        _fake.FailNext = new IOException("Remote I/O error");

        var ex = Assert.Throws<HardwareException>(() => _chip.ReadInterrupt());

        Assert.Contains("INTF/INTCAP/GPIO", ex.Message, StringComparison.Ordinal);
        Assert.False(_fake.IntLevel);
    }

    [Fact]
    public void The_fake_toggles_between_A_and_B_in_byte_mode_which_is_why_the_driver_keeps_SEQOP_0()
    {
        _fake.Write([0x0A, 0x20]); // SEQOP = 1
        _fake.Write([0x00, 0x11, 0x22, 0x33]);

        Assert.Equal(0x33, _fake[0x00]);
        Assert.Equal(0x22, _fake[0x01]);
        Assert.Equal(0x00, _fake[0x02]);
    }

    [Theory]
    [InlineData(0, "A0")]
    [InlineData(7, "A7")]
    [InlineData(8, "B0")]
    [InlineData(15, "B7")]
    public void Pins_are_named_as_in_the_datasheet(int pin, string name) =>
        Assert.Equal(name, Mcp23017Configuration.PinName(pin));
}
