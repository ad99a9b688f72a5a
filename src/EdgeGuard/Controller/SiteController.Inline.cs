using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// The idle fast path for edges. When the loop has nothing queued, an edge is handled on the GPIO
// thread that reported it, under the same gate the loop holds, instead of waking the loop's thread
// (15–18 µs on the bench machine), so the journal and the PUBLISH that follow run on it too
// (docs/architecture.md). Order and the one-writer rule are kept: the loop takes messages
// only under the gate, and an edge goes this way only while the channel is empty.
//
// A decision that changes the safety state is not made on the GPIO thread: its durable save
// (an fsync, milliseconds on an SD card) would hold up the driver's event thread, and with it the
// timestamps of the next edges. It goes to the loop as its next message (DeferredDecision, in a queue
// the loop empties before the channel, so nothing queued meanwhile can come first), which decides
// again as of the same moment and saves before driving anything, as always. One edge can ask for
// more than one decision: a panic button that starts to chatter first tells the decider the
// chattering points, then its change, and each decision first runs what fell due by the wall clock
// (a bypass whose signed end passed, an arming window), so both may have to be saved first. They
// wait in order, and every later decision of that edge follows them there: decided here, it would
// overtake the one it came after. A single slot kept only the last: the first, and the
// fault.chatter it carried, were lost (ChatterAtBypassEndTests). A change only in the
// held panic buttons (a silent hold-up) is decided here: it is saved later, without a wait, on the
// loop (SiteController.DecisionSave.cs).
public sealed partial class SiteController
{
    private readonly Lock _loopGate = new();
    private volatile bool _looping;
    private bool _onEdgeThread;

    // Decisions deferred from the GPIO thread, in the order they were asked for. Touched only
    // under _loopGate; empty whenever an edge starts on its thread (TryHandleNow).
    private readonly Queue<DeferredDecision> _deferred = new();

    /// <summary>
    /// True once the loop has left its gate (false after <paramref name="timeout"/>). It holds the gate
    /// from taking a message until the channel is empty, so a test that saw a heartbeat answered waits
    /// here before an edge that must find the controller idle.
    /// </summary>
    internal bool WaitUntilOutsideGate(TimeSpan timeout)
    {
        if (!_loopGate.TryEnter(timeout))
        {
            return false;
        }

        _loopGate.Exit();
        return true;
    }

    private void OnEdge(RawEdge edge)
    {
        var message = new EdgeMessage(edge);
        if (!TryHandleNow(message) && !_channel.Writer.TryWrite(message))
        {
            // The stop has decided its last inputs and closed the channel (SiteController.Stop.cs):
            // nothing decides this one, and the lines count it as delivered, so it is at least told.
            LogEdgeAfterStop(edge.PointId, edge.High ? "high" : "low");
        }
    }

    // Handles the edge on this thread if the loop is running, idle and nothing waits; else false.
    private bool TryHandleNow(EdgeMessage message)
    {
        // Lock is re-entrant: a thread already inside a decision (a sink or an output that sets an
        // input from there) must queue its edge, never decide it in the middle of the other.
        if (!_looping || _loopGate.IsHeldByCurrentThread || !_loopGate.TryEnter())
        {
            return false;
        }

        try
        {
            if (!_looping || _deferred.Count > 0 || _channel.Reader.Count > 0)
            {
                return false;
            }

            _onEdgeThread = true;
            try
            {
                Process(message);
            }
            finally
            {
                _onEdgeThread = false;
                if (_deferred.Count > 0)
                {
                    // The loop takes _deferred before anything in the channel; this only wakes it.
                    _channel.Writer.TryWrite(WakeMessage.Instance);
                }
            }

            return true;
        }
        finally
        {
            _loopGate.Exit();
        }
    }

    // The loop's next message: the decisions deferred from a GPIO thread first, oldest first, then
    // the channel's. Called under _loopGate.
    private bool TryTakeNext(out ControllerMessage message)
    {
        if (_deferred.TryDequeue(out var deferred))
        {
            message = deferred;
            return true;
        }

        return _channel.Reader.TryRead(out message!);
    }

    // On the GPIO thread, hands a decision that must be saved first (or that comes after one that
    // was) to the loop, behind those already handed over, with the events found since (moved out of
    // events, so they are reported once, ahead of the decision's).
    private bool DeferToLoop(SiteInput input, Moment now, List<DomainEvent> events)
    {
        if (!_onEdgeThread)
        {
            return false;
        }

        _deferred.Enqueue(new DeferredDecision(input, now, [.. events]));
        events.Clear();
        return true;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Input '{Point}' went {Level} after the controller stopped deciding; not decided or journaled; a level that still holds is read at the next start")]
    private partial void LogEdgeAfterStop(string point, string level);
}
