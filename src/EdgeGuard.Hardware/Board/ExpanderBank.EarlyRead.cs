using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Board;

// The boot's early look at a fire input on an expander, before the outputs (and so the chips) are
// opened. A chip is configured in the step that opens its outputs, so before that its pins can be
// trusted only if it still holds the configuration a boot would give it: it kept its power since
// the gateway's last run (a service restart), and its pull-ups and directions are this site's.
// Without this, every restart of a site with a fire input on an expander released its egress locks
// for the settle time. Kept apart from supervision (ExpanderBank.cs).
// The look is taken once per chip and answers all its fire inputs: the controller asks for each
// fire input in turn, all before it opens any output, and on a hung bus every transaction waits out
// the adapter's timeout (about 1 s), so a look per input held every output (a restored lockdown's
// native maglocks included) closed for that much longer per fire input on the chip.
public sealed partial class ExpanderBank
{
    /// <inheritdoc/>
    /// <remarks>
    /// <para>Before the outputs are opened the chip is only read, never written, through the bus
    /// device the bank already holds: IOCON must read the gateway's value
    /// (<see cref="Mcp23017.Iocon"/>), and IODIR, IPOL and GPPU what this bank would configure
    /// (<see cref="Mcp23017Configuration.ForLines"/>); then GPIO gives the pin's level. Null
    /// otherwise: a chip just powered on (its pins float without their pull-ups; its outputs float
    /// too, so its relays are dropped anyway), one configured for another layout, one that does not
    /// answer. Nothing is recorded and no fault raised: the boot read after it reports the chip as
    /// before. Reading GPIO clears a pending interrupt, which the configuration's own GPIO read
    /// would clear anyway. The chip is looked at once, for the first of its fire inputs asked for:
    /// its other inputs are answered from that look (the configuration check, then the GPIO word or
    /// null), so a chip that does not answer costs one bus timeout, not one per input.</para>
    /// <para>Called after the outputs are opened, the chip is this process's: its lines read it,
    /// null when it does not answer.</para>
    /// </remarks>
    public bool? ReadBeforeOutputs(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        var chip = _chipOfPoint.TryGetValue(pointId, out var c) ? c : throw new KeyNotFoundException($"Point '{pointId}' is not on an expander.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (chip.Lines is { } lines)
        {
            try
            {
                return lines.Read(pointId);
            }
            catch (HardwareException)
            {
                return null; // not answering: supervision reports it
            }
        }

        // Once the outputs are opened a chip without lines failed its configuration there: what the
        // boot's look saw no longer stands for it, so it is looked at afresh.
        var levels = _opened ? LookAt(chip) : EarlyLevels(chip, pointId);
        var pin = chip.Inputs
            .First(i => string.Equals(i.PointId, pointId, StringComparison.Ordinal)).Pin;
        return levels is { } word ? (word & (1 << pin)) != 0 : null;
    }

    /// <summary>
    /// The chip's pin levels from its look before the outputs were opened. A look that gave levels
    /// is taken afresh when an input it answered is asked again: the boot asks once before it loads
    /// the saved state and again before it opens the outputs (up to seconds later on a slow card),
    /// and a fire that started in between must not be answered from the first look. One that gave
    /// none is kept: a chip that did not answer would cost another bus timeout, and one that did not
    /// hold the configuration still does not (nothing configures it before the outputs).
    /// </summary>
    private static ushort? EarlyLevels(Chip chip, string pointId)
    {
        if (chip.EarlyLook is not { } look || (look.Levels is not null && !look.Answered.Add(pointId)))
        {
            look = chip.EarlyLook = new EarlyLook(LookAt(chip), new HashSet<string>(StringComparer.Ordinal) { pointId });
        }
        else
        {
            look.Answered.Add(pointId);
        }

        return look.Levels;
    }

    /// <summary>
    /// The chip's pin levels (GPIO) when it holds the gateway's configuration; null when it does
    /// not, or does not answer: the boot read after it reports the chip, as before.
    /// </summary>
    private static ushort? LookAt(Chip chip)
    {
        try
        {
            return HoldsConfiguration(chip) ? chip.Driver.ReadLevels() : null;
        }
        catch (HardwareException)
        {
            return null;
        }
    }

    /// <summary>
    /// The chip answers with the configuration a boot of this bank would give it, outputs aside
    /// (their levels are the plan's to set): IOCON first, so a chip in another mode (SEQOP off,
    /// BANK = 1) is refused before a pair read could mislead; then directions, input polarity and
    /// pull-ups.
    /// </summary>
    /// <exception cref="HardwareException">The chip did not answer.</exception>
    private static bool HoldsConfiguration(Chip chip)
    {
        if (Expected(chip) is not { } expected
            || chip.Driver.ReadRegister(Mcp23017Register.Iocon) != (byte)Mcp23017.Iocon)
        {
            return false;
        }

        return chip.Driver.ReadRegisterPair(Mcp23017Register.IodirA) == expected.Inputs
            && chip.Driver.ReadRegisterPair(Mcp23017Register.IpolA) == expected.InvertedInputs
            && chip.Driver.ReadRegisterPair(Mcp23017Register.GppuA) == expected.PullUps;
    }

    /// <summary>
    /// What a boot configures on the chip, as <see cref="Mcp23017Lines"/> computes it; null when an
    /// input asks for a pull-down, which the chip has not and the boot refuses.
    /// </summary>
    private static Mcp23017Configuration? Expected(Chip chip)
    {
        ushort inputs = 0, pullUps = 0, outputs = 0;
        foreach (var input in chip.Inputs)
        {
            if (input.Pull is not (LinePull.Up or LinePull.None))
            {
                return null;
            }

            inputs |= (ushort)(1 << input.Pin);
            pullUps |= input.Pull == LinePull.Up ? (ushort)(1 << input.Pin) : (ushort)0;
        }

        foreach (var (_, pin) in chip.Outputs)
        {
            outputs |= (ushort)(1 << pin);
        }

        return Mcp23017Configuration.ForLines(inputs, pullUps, outputs, initialOutputs: 0);
    }

    /// <summary>
    /// A chip's look before the outputs were opened, kept for its other fire inputs: its pin
    /// levels, or null when it did not hold the gateway's configuration or did not answer; and the
    /// inputs it answered (<see cref="EarlyLevels"/>).
    /// </summary>
    private sealed record EarlyLook(ushort? Levels, HashSet<string> Answered);
}
