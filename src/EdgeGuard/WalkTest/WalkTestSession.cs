using System.Threading.Channels;
using EdgeGuard.Controller;
using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.WalkTest;

/// <summary>Why a walk test ended.</summary>
public enum WalkTestEnd
{
    /// <summary>Every point was seen.</summary>
    AllSeen,
    /// <summary>The <c>--duration</c> ran out, or the 4 h limit of a walk test started without one.</summary>
    Duration,
    /// <summary>The technician stopped it (Ctrl+C, SIGTERM).</summary>
    Stopped,
    /// <summary>
    /// The technician stopped it before it watched the inputs (while they settled): no point was read, so every
    /// one is untested; the report is the same otherwise.
    /// </summary>
    StoppedBeforeWatching,
}

/// <summary>
/// A walk test: the real input path of the gateway — the same lines (GPIO, expander pins, supervised loops
/// with their EOL classification) and the same per-point filters (<see cref="PointFilter"/>: debounce,
/// leading edge) and the same supervision policy (<see cref="PointSupervisor"/>: chatter) — with no decider
/// behind it. Every filtered change is printed as it is seen; nothing is decided, driven, journaled or published.
/// </summary>
/// <remarks>
/// Chatter is supervised as in service, so a contact the gateway would suppress (a loose terminal) fails the
/// walk test instead of passing it. Stuck-point times are not: a point the technician has not walked yet is
/// not stuck, and they run for hours.
/// </remarks>
// Single-threaded like the controller: edges, board reports and filter deadlines meet in one channel.
internal sealed class WalkTestSession
{
    private readonly SiteDefinition _site;
    private readonly IInputLines _inputs;
    private readonly Func<string, LoopReading?> _loopReading;
    private readonly TimeProvider _time;
    private readonly WalkTestPrinter _printer;
    private readonly Channel<object> _channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, PointFilter> _filters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PointSupervisor> _supervisors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (bool High, int Edges)> _raw = new(StringComparer.Ordinal);
    private readonly WalkTestFireRelease? _fire;

    /// <param name="site">The points to walk.</param>
    /// <param name="inputs">The gateway's input lines, not started yet.</param>
    /// <param name="loopReading">The last reading of a supervised loop (null for other points).</param>
    /// <param name="time">Clock for the filters, the settle time and the duration.</param>
    /// <param name="output">The technician's screen.</param>
    /// <param name="fire">Releases the egress locks when a fire input is seen active; null drives nothing.</param>
    public WalkTestSession(SiteDefinition site, IInputLines inputs, Func<string, LoopReading?> loopReading, TimeProvider time, TextWriter output,
        WalkTestFireRelease? fire = null)
    {
        (_site, _inputs, _loopReading, _time, _fire) = (site, inputs, loopReading, time, fire);
        _printer = new WalkTestPrinter(site, time, output);
        Tally = new WalkTestTally(site);
    }

    /// <summary>What was seen so far.</summary>
    public WalkTestTally Tally { get; }

    /// <summary>Completes once the inputs have settled and the walk test is watching them.</summary>
    public Task Watching => _watching.Task;

    private readonly TaskCompletionSource _watching = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool _started;

    /// <summary>Receives the I/O board's supervision events (loop cut or bridged, chip not answering); any thread.</summary>
    public void OnBoardEvents(IReadOnlyList<DomainEvent> events) => _channel.Writer.TryWrite(events);

    /// <summary>
    /// The board's events reported while the lines were opened, before this session existed
    /// (<see cref="BoardEventsAtStart"/>), and how many of them were not kept: shown after the header and
    /// counted at once, before anything reported since. Once, before <see cref="RunAsync"/>.
    /// </summary>
    /// <remarks>
    /// At once and not when the inputs have settled: starting them can throw, the control server can refuse
    /// to bind and the technician can press Ctrl+C during the settle time, and a walk test that ends there
    /// must still have shown a dead chip or <c>persist_gpio_outputs=N</c>, which are reported only once.
    /// </remarks>
    public void StartWith(IReadOnlyList<DomainEvent> events, int notKept)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfNegative(notKept);
        if (_started)
        {
            throw new InvalidOperationException("The walk test has started already.");
        }

        _started = true;
        _printer.Header();
        // Before the points' levels: a chip that did not answer is why its points read active at start.
        foreach (var e in events)
        {
            Tally.Board(e, atStart: true);
            _printer.Board(e);
        }

        Tally.NotKeptAtStart = notKept;
        _printer.NotKeptAtStart(notKept);
    }

    /// <summary>
    /// Watches every point until all were seen, <paramref name="duration"/> passed or <paramref name="stop"/> fires
    /// (also during the settle time: <see cref="WalkTestEnd.StoppedBeforeWatching"/>, never a throw). Whatever
    /// the end, the board's events still queued are shown and counted before it returns
    /// (<see cref="TakeQueuedBoardEvents"/>).
    /// </summary>
    public async Task<WalkTestEnd> RunAsync(TimeSpan? duration, CancellationToken stop)
    {
        var end = await WatchAsync(duration, stop).ConfigureAwait(false);
        TakeQueuedBoardEvents();
        return end;
    }

    /// <summary>
    /// Shows and counts the board's events still queued, without waiting: a fault reported during the settle
    /// time, or just before a stop, must reach the report, which fails the test for it. Edges and timer wakes
    /// left are dropped: the test is over, and a change seen after the stop does not count. Any end calls it
    /// (<see cref="RunAsync"/> itself; the verb when a stop came before it ran).
    /// </summary>
    public void TakeQueuedBoardEvents()
    {
        while (_channel.Reader.TryRead(out var message))
        {
            if (message is IReadOnlyList<DomainEvent> events)
            {
                Handle(events, settledAt: long.MaxValue);
            }
        }
    }

    private async Task<WalkTestEnd> WatchAsync(TimeSpan? duration, CancellationToken stop)
    {
        if (!_started)
        {
            StartWith([], 0);
        }

        // Edges during settling are queued but dropped by timestamp, exactly as the controller does at boot.
        _inputs.Start(edge => _channel.Writer.TryWrite(edge));
        try
        {
            await Task.Delay(SiteController.SettleTime, _time, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Nothing read or watched yet: every point untested, and the report follows as at any stop.
            return WalkTestEnd.StoppedBeforeWatching;
        }

        var settledAt = _time.GetTimestamp();
        var now = Moment.From(_time).Monotonic;
        var levels = _site.Points.ToDictionary(p => p.Id, p => _inputs.Read(p.Id), StringComparer.Ordinal);
        var monitors = MonitoredDoors(levels);
        foreach (var point in _site.Points)
        {
            var high = levels[point.Id];
            _raw[point.Id] = (high, 0);
            _filters[point.Id] = new PointFilter(point, point.IsActive(high), now);
            // The site's own policy, as SiteController supervises it; without the point's stuck time (see remarks).
            _supervisors[point.Id] = new PointSupervisor(point with { StuckAfter = null }, _site.Supervision, point.IsActive(high), now);
            // Active at start: in alarm, or inverted (active level, a reconnected cut cable); it must be seen
            // at rest before its alarm counts, or a restore alone would pass it.
            Tally.Start(point.Id, point.IsActive(high), _loopReading(point.Id)?.State, monitors.GetValueOrDefault(point.Id).RestActive);
        }

        _printer.ActiveAtStart(_filters.Values.Select(f => (f.Point, f.Active, _loopReading(f.Point.Id))));
        foreach (var (monitor, (door, _)) in monitors)
        {
            if (Tally.Of(monitor).LockDisagreement is { } disagreement)
            {
                _printer.LockDisagreesAtStart(_site.Point(monitor), door!, disagreement, _loopReading(monitor));
            }
        }

        foreach (var burning in _filters.Values.Where(f => f.Active))
        {
            FireCheck(burning.Point, active: true);
        }

        using var timer = _time.CreateTimer(_ => _channel.Writer.TryWrite(new TimerMessage(_time.GetTimestamp())), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var expiry = duration is { } d ? new CancellationTokenSource(d, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, expiry.Token);
        _watching.TrySetResult();
        try
        {
            await foreach (var message in _channel.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
            {
                Handle(message, settledAt);
                if (Tally.AllSeen)
                {
                    return WalkTestEnd.AllSeen;
                }

                Schedule(timer);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Stopped or out of time: the report follows.
        }

        return expiry.IsCancellationRequested && !stop.IsCancellationRequested ? WalkTestEnd.Duration : WalkTestEnd.Stopped;
    }

    /// <summary>
    /// Each lock monitor's rest at start, by the lock the walk test holds: active while it holds the lock locked
    /// on the closed door (as <see cref="LockMonitoring"/> judges it in service). None without the fire release,
    /// which knows what the outputs are held at: then a monitor's reading at start is taken as its rest.
    /// </summary>
    private Dictionary<string, (DoorDefinition? Door, bool? RestActive)> MonitoredDoors(Dictionary<string, bool> levels)
    {
        var rests = new Dictionary<string, (DoorDefinition?, bool?)>(StringComparer.Ordinal);
        if (_fire is null)
        {
            return rests;
        }

        foreach (var door in _site.DoorList)
        {
            if (door is { LockMonitor: { } monitor, ContactPoint: { } contact })
            {
                // A door open at start fails on its contact, and the monitor of an open door is judged by
                // nothing (LockMonitoring neither): its reading is taken as its rest.
                var closed = !_site.Point(contact).IsActive(levels[contact]);
                rests[monitor] = (door, closed ? _fire.HoldsLocked(_site.Output(door.LockId)) : null);
            }
        }

        return rests;
    }

    private void Handle(object message, long settledAt)
    {
        switch (message)
        {
            case RawEdge edge when edge.Timestamp >= settledAt && _filters.TryGetValue(edge.PointId, out var filter):
                var edges = _raw[edge.PointId].Edges;
                // The band the loop read with this edge: a change of a supervised loop counts only via its alarm band.
                Tally.LoopRead(edge.PointId, _loopReading(edge.PointId)?.State);
                var at = Moment.MonotonicOf(_time, edge.Timestamp);
                var changed = filter.Sample(filter.Point.IsActive(edge.High), at);
                if (changed is { } held && held != filter.Point.IsActive(edge.High))
                {
                    // The level before this edge had held (PointFilter): shown with its own edges, and
                    // this edge starts the count towards the next change.
                    _raw[edge.PointId] = (!edge.High, edges);
                    Seen(filter.Point, held, at);
                    _raw[edge.PointId] = (edge.High, 1);
                    if (filter.Tick(at) is { } alsoDue)
                    {
                        Seen(filter.Point, alsoDue, at); // a panic or fire input whose lock-out had ended too
                    }

                    break;
                }

                _raw[edge.PointId] = (edge.High, edges + 1);
                if (changed is { } now)
                {
                    Seen(filter.Point, now, at);
                }

                break;
            case IReadOnlyList<DomainEvent> events:
                foreach (var e in events)
                {
                    Tally.Board(e, atStart: false);
                    _printer.Board(e);
                }

                break;
            case TimerMessage { Fired: var fired }:
                // As in SiteController: the time the timer fired, so a backlog cannot stretch a level.
                var firedAt = Moment.MonotonicOf(_time, fired);
                foreach (var pending in _filters.Values)
                {
                    if (pending.Tick(firedAt) is { } ticked)
                    {
                        Seen(pending.Point, ticked, firedAt);
                    }
                }

                foreach (var supervisor in _supervisors.Values)
                {
                    Supervised(supervisor, s => s.Tick(MomentOf(firedAt), _events));
                }

                break;
        }
    }

    private void Seen(PointDefinition point, bool active, TimeSpan at)
    {
        var (high, edges) = _raw[point.Id];
        _raw[point.Id] = (high, 0);
        var loop = _loopReading(point.Id);
        var proved = Tally.Changed(point.Id, active, loop?.State);
        _printer.Change(point, active, high, edges, loop, Tally.Seen, proved);
        FireCheck(point, active);
        // After the change it came with, so the screen reads change, then what it made of the point.
        Supervised(_supervisors[point.Id], s => s.OnChange(active, MomentOf(at), _events));
    }

    // A fire input seen active: the egress locks released at once, and the screen says which. A monitor of a
    // lock the fire released rests not holding from now on (walked by bridging it at the lock), or walking the
    // fire input first left every such monitor "seen in alarm, never at rest again".
    private void FireCheck(PointDefinition point, bool active)
    {
        if (_fire?.Seen(point, active) is { } released)
        {
            _printer.FireReleased(point, released);
            foreach (var door in _site.DoorList)
            {
                if (door.LockMonitor is { } monitor && released.Any(r => r.Output.Id == door.LockId && !r.Active))
                {
                    Tally.LockReleased(monitor);
                }
            }
        }
    }

    /// <summary>Runs one step of a supervisor and shows and counts the chatter events it raised.</summary>
    private void Supervised(PointSupervisor supervisor, Action<PointSupervisor> step)
    {
        _events.Clear();
        step(supervisor);
        foreach (var e in _events)
        {
            Tally.Supervision(e);
            _printer.Supervision(e);
        }
    }

    // Reused by Supervised: the loop is single-threaded, and nothing keeps the events after they are shown.
    private readonly List<DomainEvent> _events = [];

    /// <summary>A monotonic time with the wall clock now, which only stamps the events shown.</summary>
    private Moment MomentOf(TimeSpan monotonic) => new(monotonic, _time.GetUtcNow());

    /// <summary>Wakes the loop at the earliest filter or supervisor deadline (debounce end, panic lock-out end, settle).</summary>
    private void Schedule(ITimer timer)
    {
        TimeSpan? next = null;
        foreach (var filter in _filters.Values)
        {
            if (filter.NextDeadline is { } due && (next is null || due < next))
            {
                next = due;
            }
        }

        foreach (var supervisor in _supervisors.Values)
        {
            if (supervisor.NextDeadline is { } due && (next is null || due < next))
            {
                next = due; // a chattering point's settle time
            }
        }

        var now = Moment.From(_time).Monotonic;
        // Rounded up: a wait under a millisecond would fire at once, find nothing due and re-arm.
        timer.Change(next is { } at ? TimerDelay.Until(at - now) : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }
}
