using System.Device.Gpio;
using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// The controller loop's work for one message, step for step as
/// <c>src/EdgeGuard/Controller/SiteController.cs</c> does it (Handle → filter → supervisor → Apply →
/// Reconcile), on the
/// real <see cref="GpioController"/> over <see cref="SimulatedGpioDriver"/>.
/// </summary>
/// <remarks>
/// SiteController's loop is private and sits behind a channel and a thread hop, so it cannot be
/// timed to the microsecond from outside; this class repeats its body instead. Left out on purpose:
/// the safety-state save (an fsync, timed separately in <see cref="SafetyStoreBenchmarks"/>), the
/// event sinks (measured end to end by bench/EdgeGuard.Bench.EndToEnd) and logging. Keep it in step with SiteController.
/// Time is passed in (a synthetic monotonic clock), so debounce and lock-outs behave exactly as in
/// production without waiting for them.
/// </remarks>
internal sealed class ControllerPath : IDisposable
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SiteDefinition _site;
    private readonly Dictionary<string, PointFilter> _filters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PointSupervisor> _supervisors = new(StringComparer.Ordinal);
    private readonly GpioController _controller;
    private readonly IOutputLines _outputs;

    // SiteController._queuedOutputs: null here, as on a site without expanders (the bench site's
    // lines are native), so each output costs the same null check as in the controller.
    private readonly IQueuedOutputLines? _queued;
    private readonly List<DomainEvent> _events = [];
    private SiteState _state;
    private SafetyState _safety;
    private long _decisions;
    private bool _linesShowPlan;
    private readonly bool[] _readBack;

    public ControllerPath()
    {
        _site = BenchSite.Create();
        Driver = new SimulatedGpioDriver();
        _controller = new GpioController(Driver);
        var now = At(TimeSpan.Zero);
        _state = SiteState.Restore(_site, SafetyState.Initial, new Dictionary<string, bool>(), now);
        _safety = _state.Safety;
        _outputs = new GpioOutputLines(_controller, _site.Outputs, OutputPlan.For(_site, _state).Levels(_site));
        _queued = _outputs as IQueuedOutputLines;
        _readBack = new bool[_site.Outputs.Count];
        foreach (var point in _site.Points)
        {
            _filters[point.Id] = new PointFilter(point, settledActive: false, now.Monotonic);
            _supervisors[point.Id] = new PointSupervisor(point, _site.Supervision, settledActive: false, now.Monotonic);
        }
    }

    public SimulatedGpioDriver Driver { get; }

    public SiteState State => _state;

    /// <summary>The electrical level of the lockdown lamp, to check a benchmark did what it claims.</summary>
    public bool LampHigh => Driver.GetOutputLevel(_site.Outputs.Single(o => o.Id == BenchSite.Lamp).Line);

    /// <summary>Whether supervision flagged any point as chattering: the figures would then time a suppressed path.</summary>
    public bool AnyChattering => _supervisors.Values.Any(s => s.Chattering);

    public static Moment At(TimeSpan monotonic) => new(monotonic, Epoch + monotonic);

    /// <summary>SiteController.Handle(EdgeMessage): filter the raw level, decide and reconcile on a change.</summary>
    public void Edge(string pointId, bool active, TimeSpan at)
    {
        _events.Clear();
        var now = At(at);
        var filter = _filters[pointId];
        if (filter.Sample(active, at) is not { } changed)
        {
            return;
        }

        if (_supervisors[pointId].OnChange(changed, now, _events))
        {
            Apply(new PointChanged(pointId, changed), now);
        }

        // SiteController.OnFilteredEdge: a second change the same edge made due (never, in these benchmarks).
        if (filter.Tick(at) is { } alsoDue && _supervisors[pointId].OnChange(alsoDue, now, _events))
        {
            Apply(new PointChanged(pointId, alsoDue), now);
        }
    }

    /// <summary>SiteController.Handle(TimerMessage): tick every filter, then the siren timer.</summary>
    public void Timer(TimeSpan at)
    {
        _events.Clear();
        var now = At(at);
        foreach (var pending in _filters.Values)
        {
            if (pending.Tick(now.Monotonic) is { } ticked && _supervisors[pending.Point.Id].OnChange(ticked, now, _events))
            {
                Apply(new PointChanged(pending.Point.Id, ticked), now);
            }
        }

        // SiteController.TickSupervisors: hold, settle and stuck timers (nothing is due in these benchmarks).
        foreach (var supervisor in _supervisors.Values)
        {
            if (supervisor.Tick(now, _events) is { } settled)
            {
                Apply(new PointChanged(supervisor.Point.Id, settled), now);
            }
        }

        Apply(TimerTick.Instance, now);
    }

    /// <summary>The deadline the controller would arm its timer for after <paramref name="pointId"/> changed.</summary>
    public TimeSpan DeadlineOf(string pointId) => _filters[pointId].NextDeadline ?? throw new InvalidOperationException($"{pointId} has nothing pending.");

    public void Dispose()
    {
        _outputs.Dispose();
        _controller.Dispose();
    }

    private void Apply(SiteInput input, Moment now)
    {
        var decision = SiteDecider.Decide(_site, _state, input, now);
        // SiteController.Apply's comparison (its save, an fsync, is left out as above).
        var safety = decision.State.SameSafetyFieldsAs(_state) ? _safety : decision.State.Safety;
        if (safety != _safety)
        {
            _safety = safety;
        }

        _decisions++;
        _state = decision.State;
        _events.AddRange(decision.Events);
        Reconcile();
    }

    private void Reconcile()
    {
        var plan = OutputPlan.For(_site, _state);
        // SiteController.Reconcile: the lines already show an unchanged plan, so only the snapshot moves.
        if (_linesShowPlan && Snapshot is { } last && plan.Equals(last.Plan))
        {
            Snapshot = last with { State = _state, Decisions = _decisions };
            return;
        }

        _linesShowPlan = false;
        // SiteController.Reconcile's order: egress releases first, then the rest, each pass native
        // lines before expander pins (the bench site has native lines only, so its order is the site's).
        var readBack = _readBack;
        var shown = true;
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < _site.Outputs.Count; i++)
            {
                var output = _site.Outputs[i];
                var active = plan.IsActiveAt(i);
                if (output.ReleasesEgress(active) != (pass == 0))
                {
                    continue;
                }

                // SiteController.Drive, then Observe: a queued write is shown once its writer achieved it
                // (the fault bookkeeping is left out: no write fails in these benchmarks).
                var high = output.LevelFor(active);
                _outputs.Write(output.Id, high);
                var writing = _queued?.StateOf(output.Id) ?? default;
                readBack[i] = _outputs.ReadBack(output.Id);
                shown &= writing.Failure is null && !writing.Pending && readBack[i] == high;
            }
        }

        var levels = new Dictionary<string, bool>(_site.Outputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < readBack.Length; i++)
        {
            levels[_site.Outputs[i].Id] = readBack[i];
        }

        _linesShowPlan = shown;
        // SiteController publishes a SiteSnapshot here; the same allocation, kept so the figures match.
        Snapshot = new PathSnapshot(_state, plan, levels, _decisions);
    }

    public PathSnapshot? Snapshot { get; private set; }
}

/// <summary>Stands in for the host's SiteSnapshot (same shape, same allocation).</summary>
internal sealed record PathSnapshot(SiteState State, OutputPlan Plan, IReadOnlyDictionary<string, bool> OutputLevels, long Decisions);
