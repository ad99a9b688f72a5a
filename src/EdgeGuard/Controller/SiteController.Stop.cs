using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Stopping: the loop first (deciding what it had accepted), then one last drive of outputs that do
// not show the plan, the last save, the inputs that came meanwhile decided and the channel closed,
// one more drive when those decisions wrote, then the outputs closed; kept apart from the loop's own
// file (SiteController.cs).
public sealed partial class SiteController
{
    /// <summary>
    /// Stops the loop, which first decides what it had accepted (SiteController.cs); decides what came
    /// since; drives once more the outputs that do not show the plan; saves a safety state whose save
    /// had failed (SiteController.Persistence.cs); decides what came during that save and closes the
    /// channel; drives once more again if a decision since the first drive wrote the lines (a fire
    /// that came during the save, a late read's fire release put back in it); then closes the outputs
    /// at once: the expander writers finish the writes the last decisions asked for (a fire's
    /// release just before SIGTERM) while every line is still open.
    /// </summary>
    /// <remarks>
    /// The host stops the controller after the office commands and the publisher, and disposes the
    /// journal only after every service has stopped (ServiceCollectionExtensions): what is decided
    /// here is journaled, and delivered from the journal at the next start. Until the channel closes,
    /// just before the outputs' last drain (up to 2 s while the expander writers finish), a panic
    /// press still locks the doors and a fire still releases egress; an input after that is only
    /// logged (<see cref="OnEdge"/>), and a command or heartbeat is answered at once. A fire then is
    /// still a level: the next start's raw read of the fire inputs releases egress before anything
    /// else (SiteController.FireAtBoot.cs).
    /// </remarks>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        DecideAfterLoop(closing: false);
        DriveOutputsOnceMore(again: false);
        SaveUnsavedSafetyState();
        DecideAfterLoop(closing: true);
        DriveOutputsOnceMore(again: true);
        LogOutputsLeftFailing();
        CloseOutputs();
    }

    /// <summary>
    /// Queues a hardware report for the loop; after the stop closed the channel it is only logged,
    /// since nothing journals it any more.
    /// </summary>
    private void Queue(ReportMessage report)
    {
        if (!_channel.Writer.TryWrite(report))
        {
            LogReportAfterStop(string.Join(", ", report.Events.Select(e => e.Type)));
        }
    }

    /// <summary>
    /// Under <see cref="_loopGate"/>: everything the controller has accepted and not yet handled, as the
    /// loop would (the decisions deferred from a GPIO thread first, oldest first, then the channel's
    /// messages in order).
    /// Edges that arrive meanwhile queue behind (the gate is held) and are taken too. One message that
    /// throws is logged and the rest are still handled: each may be a panic press.
    /// </summary>
    private void DecideAccepted()
    {
        if (_outputsClosed)
        {
            // Disposed without a stop: nothing can be driven any more.
            return;
        }

        while (TryTakeNext(out var message))
        {
            try
            {
                Process(message);
            }
#pragma warning disable CA1031 // As in the loop: one bad message must not drop the ones behind it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopFault(ex, message.GetType().Name);
            }
        }
    }

    /// <summary>
    /// Once the loop has ended, the inputs (edges, timer ticks, reports) that went to the channel since:
    /// the fast path is closed, so each queues while the stop drives and saves, for seconds when the disk
    /// hangs. The filters and supervisors take an edge only here, so one not decided now would never be
    /// sent again (the lines count it as delivered). With <paramref name="closing"/>, the channel is closed
    /// first (what was written before is still read): later writes fail, so a command or heartbeat is
    /// answered at once and an edge is logged. A state these decisions left still being saved then
    /// counts as not saved, as in <see cref="SaveUnsavedSafetyState"/>: nothing saves after this.
    /// </summary>
    private void DecideAfterLoop(bool closing)
    {
        lock (_loopGate)
        {
            if (closing)
            {
                _channel.Writer.TryComplete();
            }

            if (!_booted.Task.IsCompletedSuccessfully)
            {
                return;
            }

            DecideAccepted();
            if (closing && _safetyPending && !_outputsClosed)
            {
                var events = new List<DomainEvent>();
                NotSaved(Moment.From(time), events, "the gateway stopped before the disk finished the save of its current state");
                Report(events);
            }
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _timer?.Dispose();
        // Without a stop before (the host gave up waiting for it), later writes fail rather than queue unread.
        _channel.Writer.TryComplete();
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
    /// <param name="again">
    /// The second call, after the stop's save and its closing decisions: it drives only when one of those
    /// decisions wrote the lines since the first call (a fire that came during the save, whose release's
    /// write failed once, would otherwise never be tried again). When none did, the lines a failed write
    /// left had their one last attempt already: a stop makes one, not a retry loop.
    /// </param>
    private void DriveOutputsOnceMore(bool again)
    {
        lock (_loopGate)
        {
            var drivenSince = _outputDrives != _outputDrivesAtStop;
            if ((again && !drivenSince) || _linesShowPlan || _outputsClosed || _snapshot is null || _outputLines is null)
            {
                _outputDrivesAtStop = _outputDrives;
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

            // Counted after this drive: only a later decision's write makes the second call drive.
            _outputDrivesAtStop = _outputDrives;
            Report(events);
        }
    }

    /// <summary>
    /// Just before the outputs close at a stop: logs the outputs whose last write still failed after the
    /// stop's last attempt. Their <c>fault.output</c> is journaled already (once per episode) and no
    /// restore follows it, so the office learns it at the next start; the log tells the technician now
    /// which line may keep a level the last plan does not want (an egress door locked in a fire) until
    /// the next start drives the plan again.
    /// </summary>
    private void LogOutputsLeftFailing()
    {
        lock (_loopGate)
        {
            if (_outputsClosed || _linesShowPlan)
            {
                return;
            }

            var failing = new List<string>();
            for (var i = 0; i < site.Outputs.Count; i++)
            {
                if (_outputFailing[i])
                {
                    failing.Add($"'{site.Outputs[i].Id}'");
                }
            }

            if (failing.Count > 0)
            {
                LogOutputsFailingAtStop(string.Join(", ", failing));
            }
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

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Reported after the controller stopped deciding, not journaled: {Events}")]
    private partial void LogReportAfterStop(string events);

    [LoggerMessage(EventId = 19, Level = LogLevel.Error, Message = "Driving the outputs once more at the stop failed; they keep the levels they show")]
    private partial void LogStopDriveFault(Exception ex);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Stopping with outputs whose last write failed (fault.output): {Outputs} may not show the last plan; a native line keeps the level it shows until the next start, an expander's writer tries once more before its chip closes")]
    private partial void LogOutputsFailingAtStop(string outputs);
}
