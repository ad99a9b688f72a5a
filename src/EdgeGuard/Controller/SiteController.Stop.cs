using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Stopping: the loop first, then one last drive of outputs that do not show the plan, the last
// save, then the outputs closed; kept apart from the loop's own file (SiteController.cs).
public sealed partial class SiteController
{
    /// <summary>
    /// Stops the loop, drives once more the outputs that do not show the plan, saves a safety state whose
    /// save had failed (SiteController.Persistence.cs), then closes the outputs at once: the expander
    /// writers finish the writes the last decisions asked for (a fire's release just before SIGTERM)
    /// while every line is still open.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        DriveOutputsOnceMore();
        SaveUnsavedSafetyState();
        CloseOutputs();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _timer?.Dispose();
        // Outputs before inputs: on an I/O board the inputs include the expander bank, whose chips carry
        // the outputs too; the writers drain onto them first (docs/architecture.md, "Output write order").
        CloseOutputs();
        inputs.Dispose();
        _saver?.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Once the loop has ended, when a write of the current plan had failed (EIO, an I²C NACK) and its retry
    /// was not yet due: one last reconcile, egress releases first. The retry timer never fires after a stop,
    /// and a fire's egress release that a glitch refused would otherwise stay unmade for as long as the
    /// gateway is down (indefinitely after <c>systemctl stop</c>). Lines that show the plan are not written
    /// (a healthy stop still writes nothing); an expander write is only queued here, and its writer makes
    /// it within the drain of <see cref="CloseOutputs"/>. Before the save: it may take seconds, the
    /// outputs come first, as in every decision. A fault or restore it finds is reported, so the journal
    /// (and after the next start, the office) knows whether the last plan took.
    /// </summary>
    private void DriveOutputsOnceMore()
    {
        lock (_loopGate)
        {
            if (_linesShowPlan || _outputsClosed || _snapshot is null || _outputLines is null)
            {
                return;
            }

            var now = Moment.From(time);
            var events = new List<DomainEvent>();
            try
            {
                Reconcile(now, events, retryNow: true);
            }
#pragma warning disable CA1031 // The stop must go on: the save and the close still come.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogStopDriveFault(ex);
            }

            Report(events);
        }
    }

    /// <summary>Disposes the output lines once, under the loop's gate so no decision is driving them.</summary>
    private void CloseOutputs()
    {
        lock (_loopGate)
        {
            if (!_outputsClosed)
            {
                _outputsClosed = true;
                _outputLines?.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 19, Level = LogLevel.Error, Message = "Driving the outputs once more at the stop failed; they keep the levels they show")]
    private partial void LogStopDriveFault(Exception ex);
}
