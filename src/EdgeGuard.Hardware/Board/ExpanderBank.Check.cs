using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Board;

// One chip's supervision pass: a reset found and put right, the inputs swept, the fault a pass leaves.
public sealed partial class ExpanderBank
{
    /// <summary>One chip's part of a pass, under <see cref="_gate"/>: what it raises or restores goes to <paramref name="events"/>.</summary>
    private void SuperviseChip(Chip chip, List<DomainEvent> events)
    {
        if (chip.Lines is null)
        {
            if (!ConfigureLate(chip))
            {
                return; // still not answering: its fault is already raised
            }

            // It answers now: "did not answer" is over whatever this pass finds, so it is restored
            // here and a problem found below (its INT line refused) is raised under its own reason.
            RestoreIfFaulted(chip, events);
        }

        var (problem, repaired) = Check(chip, _onEdge is not null);
        // A line fault that is new or changed its reason (refused -> judged faulty) while another
        // fault stands: that one is restored and this raised, or the office would keep the stale
        // reason and never learn the real cause.
        var line = chip.Lines!.InterruptLineFault;
        if (line is not null && line != chip.LineFaultReported)
        {
            RestoreIfFaulted(chip, events);
        }

        // The chip stopped answering while another fault stands (its line refused, edges refused):
        // the same, or the office would see its points go fail-safe (a fire alarm) under that reason.
        var silent = chip.FailedPasses > 0;
        if (silent && !chip.SilenceReported)
        {
            RestoreIfFaulted(chip, events);
        }

        // Its inputs are unread (HardwareFault.Points: an egress door whose exit buttons are all on it is
        // released) while it does not answer, from the first failed pass: the fault is raised there once
        // for the episode, with the reason it keeps when its points go fail-safe at the second (a glitch's
        // second of release is the price; docs/architecture.md). A standing fault that says otherwise is
        // restored and raised anew: kept, a chip answering again with its line still refused held the
        // doors released.
        var blind = silent && chip.Inputs.Count > 0;
        if (blind != chip.BlindReported && problem is not null)
        {
            RestoreIfFaulted(chip, events);
        }

        // A reset repaired within this pass is still reported, as a fault and its restore together,
        // so the journal says the outputs dropped for a moment; a fault already raised is not repeated.
        var raise = !chip.Faulted && (problem ?? repaired) is not null;
        if (raise)
        {
            var reason = string.Join("; ", new[] { repaired, problem }.OfType<string>());
            events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id, reason) { Points = blind ? InputPoints(chip) : [] });
            (chip.LineFaultReported, chip.SilenceReported, chip.BlindReported) = (line, silent, blind);
        }

        if (problem is null && (chip.Faulted || raise))
        {
            events.Add(new HardwareFaultRestored(_time.GetUtcNow(), chip.Options.Id));
            (chip.LineFaultReported, chip.SilenceReported, chip.BlindReported) = (null, false, false);
        }

        chip.Faulted = problem is not null;
    }

    /// <summary>
    /// Checks one chip. <c>Problem</c> is a fault still present after this pass; <c>Repaired</c> one found and
    /// put right in it (a reset chip configured again).
    /// </summary>
    /// <param name="chip">The chip.</param>
    /// <param name="started">Edges have a receiver: a resync before then would record levels nobody was told.</param>
    private (string? Problem, string? Repaired) Check(Chip chip, bool started)
    {
        try
        {
            // A power glitch resets the chip to inputs without interrupts: it would answer but stay silent,
            // and its outputs (a lock) would float. Checked first so the inputs are re-read before Poll.
            var iocon = chip.Driver.ReadRegister(Mcp23017Register.Iocon);
            if (iocon != (byte)Mcp23017.Iocon)
            {
                chip.ResetFound = $"the chip was reset (IOCON read 0x{iocon:x2}, expected 0x{(byte)Mcp23017.Iocon:x2}), "
                    + "which turned its outputs into floating inputs and its interrupts off";
            }

            // Kept until a reconfiguration completes: one that failed half-way may already have written IOCON,
            // which then reads right while the directions are still wrong.
            string? repaired = null;
            if (chip.ResetFound is { } reset)
            {
                try
                {
                    chip.Lines!.Reconfigure(outputId => RequestedLevel(chip, outputId));
                }
#pragma warning disable CA1031 // Any failure leaves the chip to be configured again on the next pass.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    // Its relays dropped, and nothing asks for a new level while the plan stands: the writer's
                    // levels are written again (refused until it is configured), or they keep reading back as
                    // achieved and the controller shows the plan (no fault.output for a lock that is open).
                    // Every failed pass, not once: an attempt under way when the reset was found may have
                    // read back the latch before it. Lock order: the bank's gate, then the writer's (a leaf).
                    chip.Writer?.RewriteAchieved();
                    var blind = GoBlind(chip, started);
                    return ($"{reset}; configuring it again failed, retrying every {SupervisionInterval.TotalSeconds:0} s: {ex.Message}{blind}", null);
                }

                chip.ResetFound = null;
                repaired = $"{reset}; it was configured again, outputs at their current levels, and its inputs re-read";
            }

            if (repaired is null)
            {
                // Read whatever the host line says: a cut INTA wire leaves it high, and only this read would
                // find the chip's pending interrupt (and the fault to report).
                chip.Lines!.Sweep();
            }
            else
            {
                chip.Lines!.Poll(); // configuring it again has just read (and delivered) every input
            }

            chip.FailedPasses = 0; // answered a whole pass
            if (chip.Resync && started)
            {
                // Its points were given fail-safe levels while it did not answer: now their real ones (a held
                // keyswitch or exit button only recorded, see QuietOnResync).
                chip.Lines.DeliverChanges();
                chip.Resync = false;
            }

            string? lost = null;
            var failures = chip.Lines.CallbackFailures;
            if (failures != chip.CallbackFailuresSeen)
            {
                chip.CallbackFailuresSeen = failures;
                lost = $"{failures} interrupt(s) could not be serviced: {chip.Lines.LastCallbackFailure?.Message}";
            }

            // The action threw on an edge: the chip keeps the edges it did not take and this pass's sweep has
            // delivered them again, or still keeps them. Stands while any are kept or a pass finds new throws;
            // restored by the first pass with nothing kept and no throw since the last.
            string? refused = null;
            var refusals = chip.Lines.DeliveryFailures;
            var pending = chip.Lines.PendingDeliveries;
            var dropped = chip.Lines.LostDeliveries;
            if (refusals != chip.DeliveryFailuresSeen || pending > 0 || dropped != chip.LostDeliveriesSeen)
            {
                refused = RefusedEdges.Describe(refusals - chip.DeliveryFailuresSeen, pending, dropped - chip.LostDeliveriesSeen,
                    chip.Lines.LastDeliveryFailure?.Message, "its points'", "read");
                (chip.DeliveryFailuresSeen, chip.LostDeliveriesSeen) = (refusals, dropped);
            }

            // Stands for as long as the line is not trusted: one fault for the episode, then its restore.
            var problems = new[] { lost, refused, chip.Lines.InterruptLineFault }.OfType<string>().ToList();
            return (problems.Count > 0 ? string.Join("; ", problems) : null, repaired);
        }
#pragma warning disable CA1031 // A supervision timer must survive any failure of the chip it watches.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (chip.ResetFound is not null)
            {
                // A reset not undone, and now the chip does not answer at all: its levels are written
                // again here too, or an attempt that read the latch back just before the reset was
                // found stays achieved while its relay is de-energised (as above).
                chip.Writer?.RewriteAchieved();
            }

            var blind = GoBlind(chip, started);
            return ((chip.ResetFound is { } reset ? $"{reset}; {ex.Message}" : ex.Message) + blind, null);
        }
    }
}
