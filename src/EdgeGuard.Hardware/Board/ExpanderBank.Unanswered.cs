using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Board;

// A chip that does not answer at start-up (or fails the boot read twice) must not take the gateway down: native panic
// and fire inputs, and every other chip, still need protecting. It is left to supervision instead, its points at
// the fail-safe level of a tampered loop and its outputs refusing writes (the controller retries them), until it
// answers. So must one that stops answering later (GoBlind). Kept apart from the supervision of configured chips
// in ExpanderBank.cs.
public sealed partial class ExpanderBank
{
    /// <summary>Configures a chip, outputs at the levels last asked for. Called under the bank's lock.</summary>
    /// <returns>Null once configured; why it was not, when the chip did not answer.</returns>
    private string? Configure(Chip chip)
    {
        List<ExpanderOutput> outputs;
        lock (chip.RequestedGate)
        {
            outputs = [.. chip.Outputs.Select((o, i) => new ExpanderOutput(o.Id, o.Pin, chip.Requested[i]))];
        }

        try
        {
            chip.Lines = new Mcp23017Lines(_controller, chip.Options.InterruptLine, chip.Driver, chip.Inputs, outputs, _time);
            return null;
        }
        catch (HardwareException ex)
        {
            return ex.Message;
        }
    }

    // The level the controller last asked of one of the chip's outputs (taken or not by the chip), null for
    // an id not its own. RequestedGate is a leaf: safe under the lines' own lock (Mcp23017Lines.Reconfigure).
    private static bool? RequestedLevel(Chip chip, string outputId)
    {
        var index = chip.Outputs.FindIndex(o => string.Equals(o.Id, outputId, StringComparison.Ordinal));
        if (index < 0)
        {
            return null;
        }

        lock (chip.RequestedGate)
        {
            return chip.Requested[index];
        }
    }

    /// <summary>
    /// Tries to configure a chip that did not answer at start-up and to start its edges. On success its points'
    /// real levels are delivered by the rest of the supervision pass (<see cref="Chip.Resync"/>). Under the lock.
    /// </summary>
    /// <returns>True once configured.</returns>
    private bool ConfigureLate(Chip chip)
    {
        if (Configure(chip) is not null)
        {
            return false;
        }

        var lines = chip.Lines!;
        try
        {
            foreach (var (pointId, high) in chip.Assumed)
            {
                lines.AssumeReported(pointId, high, QuietOnResync(pointId));
            }

            if (_onEdge is { } onEdge)
            {
                lines.Start(onEdge);
            }
        }
#pragma warning disable CA1031 // Runs on the supervision timer: the chip is left unconfigured and tried again.
        catch (Exception)
#pragma warning restore CA1031
        {
            lines.Dispose();
            chip.Lines = null;
            return false;
        }

        chip.Assumed.Clear();
        chip.Resync = true;
        return true;
    }

    /// <summary>
    /// A point on a chip that is not configured or did not answer its read: the fail-safe level of a tampered loop
    /// (a fire input active, a keyswitch inactive), remembered so the real level is delivered once the chip answers.
    /// </summary>
    private bool Unread(Chip chip, string pointId, string? reason)
    {
        var level = TamperedLoop.LevelOf(_points[pointId]);
        List<DomainEvent> events = [];
        // Held to the report, as a supervision pass holds it: a pass between this fault and its report
        // could restore it first, and the controller would then take the chip's inputs as unread for good.
        using var order = _supervising.EnterScope();
        lock (_gate)
        {
            if (chip.Lines is { } lines)
            {
                lines.AssumeReported(pointId, level, QuietOnResync(pointId));
                chip.Resync = true;
            }
            else
            {
                chip.Assumed[pointId] = level;
            }

            // A fault standing that does not name its inputs (its interrupt line refused) is raised anew naming them.
            if (!chip.BlindReported)
            {
                RestoreIfFaulted(chip, events);
                events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id,
                    $"its inputs could not be read; its points read fail-safe until it answers: {reason ?? "not configured"}")
                {
                    Points = InputPoints(chip),
                });
                // Silent and blind as a pass that failed would leave it: the next failed pass raises nothing new.
                (chip.Faulted, chip.SilenceReported, chip.BlindReported) = (true, true, true);
            }
        }

        if (events.Count > 0)
        {
            _report(events);
        }

        return level;
    }

    /// <summary>
    /// After <see cref="FailedPassesBeforeFailSafe"/> failed passes in a row (the chip stopped answering, or its
    /// reconfiguration fails): its points take the
    /// fail-safe level of a tampered loop, delivered as edges (a fire input active, so egress is released; a
    /// panic button active; a keyswitch inactive), as a chip dead at boot reads; the chip is marked for a resync
    /// so the first pass that reads it delivers the real levels. Without this a chip lost after boot left every
    /// point at its last level: a cut I2C harness in a fire kept egress locked and the panic buttons deaf.
    /// Repeated every failed pass, which delivers nothing new but the edges the action refused before: those
    /// wait on the action alone (a refused panic press arrives once it works though the chip does not answer),
    /// and one try a pass is the retry pace. Never throws (it runs on the supervision timer).
    /// </summary>
    /// <returns>What to add to the fault's reason: that its points read fail-safe, when it has any.</returns>
    private string GoBlind(Chip chip, bool started)
    {
        // Before Start the boot read (Read -> Unread) gives the fail-safe levels; nobody holds any yet.
        if (!started || chip.Lines is not { } lines)
        {
            return "";
        }

        // A read of the chip that succeeded since the last failed pass (an interrupt, a fast poll) makes
        // that one a glitch too: only passes failed with nothing read between them count as in a row, and
        // a chip that flaps does not put its points back at fail-safe over the real levels just read.
        var reads = lines.ReadsRecorded;
        if (reads != chip.ReadsAtLastFailedPass)
        {
            (chip.FailedPasses, chip.ReadsAtLastFailedPass) = (0, reads);
        }

        if (++chip.FailedPasses < FailedPassesBeforeFailSafe)
        {
            // One failed pass may be a glitch: the fault is raised now, the points keep their levels. The
            // same reason as once they are fail-safe, so the second pass does not restore and raise again.
            // The edges the action refused before are still retried (they need no read): a refused panic
            // press must not wait a pass longer for a glitch.
            try
            {
                lines.DeliverAssumed([]);
            }
            catch (ObjectDisposedException)
            {
                // Closed by a stop racing this pass: nothing left to deliver to.
            }

            return FailSafeNote(chip);
        }

        try
        {
            lines.DeliverAssumed(chip.Inputs.Select(i => (i.PointId, TamperedLoop.LevelOf(_points[i.PointId]), QuietOnResync(i.PointId))));
            chip.Resync = true;
        }
        catch (ObjectDisposedException)
        {
            // Closed by a stop racing this pass: nothing left to deliver to.
        }

        return FailSafeNote(chip);
    }

    private static string FailSafeNote(Chip chip) =>
        chip.Inputs.Count > 0 ? $"; its points read fail-safe after {FailedPassesBeforeFailSafe} failed passes in a row, until it answers" : "";

    /// <summary>See <see cref="TamperedLoop.QuietWhenTrustedAgain"/>: a key held through the blindness is no fresh turn.</summary>
    private bool QuietOnResync(string pointId) => TamperedLoop.QuietWhenTrustedAgain(_points[pointId].Kind);
}
