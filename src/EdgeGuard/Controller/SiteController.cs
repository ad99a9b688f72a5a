using System.Threading.Channels;
using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

/// <summary>
/// The one writer of site state. Timers, commands and busy-time edges enqueue into one channel;
/// this loop filters, decides, persists the safety state (waiting for the disk at most
/// <see cref="SafetySaveDeadline"/>), drives outputs and reports events, in that order, one
/// message at a time. An edge reaching an idle controller is handled the same way on its GPIO
/// thread, under the loop's gate (SiteController.Inline.cs).
/// </summary>
public sealed partial class SiteController(
    SiteDefinition site,
    IInputLines inputs,
    OutputLinesFactory createOutputs,
    ISafetyStateStore store,
    IEnumerable<IEventSink> sinks,
    TimeProvider time,
    ILogger<SiteController> log) : BackgroundService, ISiteStateSource
{
    /// <summary>How long inputs settle after the lines are opened before their levels count.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(100);

    // Not SingleReader: that channel cannot count, and SiteController.Inline.cs must know it is empty.
    private readonly Channel<ControllerMessage> _channel = Channel.CreateUnbounded<ControllerMessage>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = false });
    private readonly IEventSink[] _sinks = sinks.ToArray();
    private readonly TaskCompletionSource _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, PointFilter> _filters = new(StringComparer.Ordinal);
    private IOutputLines? _outputLines;
    private bool _outputsClosed;
    private ITimer? _timer;
    private SiteState _state = null!;
    private SafetyState _safety = null!;
    private long _bootReadTimestamp;
    private long _decisions;
    private volatile SiteSnapshot? _snapshot;

    /// <summary>Completes once the safety state is restored, outputs driven and inputs settled.</summary>
    public Task Booted => _booted.Task;

    /// <summary>The latest state; null until boot completes.</summary>
    public SiteSnapshot? Snapshot => _snapshot;

    /// <inheritdoc/>
    public SiteState? Current => _snapshot?.State;

    /// <summary>
    /// Hands events found outside the loop (hardware supervision) to the loop, which reports them like
    /// its own. Callable from any thread, before or after boot; never blocks.
    /// </summary>
    public void ReportFromOutside(IReadOnlyList<DomainEvent> events) => Queue(new ReportMessage(events));

    // Answers decided in this loop iteration, given once its events have been reported.
    private readonly List<(TaskCompletionSource<CommandOutcome> Answer, CommandOutcome Outcome)> _answers = [];

    /// <summary>
    /// Hands a verified office command to the loop, which decides on it like any input (persisting
    /// and driving outputs before answering). Completes with the loop's outcome.
    /// </summary>
    public Task<CommandOutcome> ExecuteAsync(Core.Commands.VerifiedCommand command, CancellationToken cancellationToken) =>
        ExecuteAsync(new OfficeCommandInput(command), cancellationToken);

    /// <summary>As <see cref="ExecuteAsync(Core.Commands.VerifiedCommand, CancellationToken)"/>, with what the host looked up for it (an acknowledged event).</summary>
    public Task<CommandOutcome> ExecuteAsync(OfficeCommandInput command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var outcome = new TaskCompletionSource<CommandOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new CommandMessage(command, outcome)))
        {
            outcome.SetResult(new CommandOutcome(false, "the gateway is stopping"));
        }

        return outcome.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Queues a heartbeat behind every input already waiting and completes when the loop reaches it:
    /// proof that the loop is turning, used by the systemd watchdog (<c>WATCHDOG=1</c>). The loop
    /// does nothing per input for this — the cost is one message per watchdog period — and an idle
    /// loop blocked on its channel is woken by the heartbeat itself, so idleness never reads as a hang.
    /// </summary>
    /// <returns>A task that completes once the loop handled the heartbeat; never, if the loop is hung.</returns>
    public Task HeartbeatAsync()
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new HeartbeatMessage(answered)))
        {
            answered.SetCanceled();
        }

        return answered.Task;
    }

    /// <summary>
    /// Boot order is the safety contract: restore the persisted state, drive every output to the
    /// restored plan, and only then look at inputs (settled, so boot transients raise nothing).
    /// One exception, for life safety: the fire inputs are read raw before the saved state is
    /// loaded and while it loads, and a fire found there opens the native egress locks released at
    /// once; again before
    /// the outputs are opened, and a fire found then (or a fire input not readable yet) opens every
    /// egress lock released; the settled read alone latches the release
    /// (SiteController.FireAtBoot.cs).
    /// A saved state that cannot be read, or not within <see cref="BootLoadDeadline"/>, is not a
    /// failed start: the gateway boots in the initial state and says so; a lockdown read late is
    /// put back in force unless a scenario decided since stands over it (SiteController.Boot.cs).
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the load, which runs on its thread, and the first save (InputsSettled below). A
        // save (or the load) the loop gave up on wakes it when it ends, so the latest state is
        // saved then.
        _saver = new SafetyStateSaver(store, time, () => _channel.Writer.TryWrite(SafetySaveEnded.Instance));
        // A fire already burning does not wait for the saved state: its native egress locks are
        // released before the load (SiteController.FireAtBoot.cs).
        var (safety, unreadable) = await LoadAfterFireCheckAsync(cancellationToken).ConfigureAwait(false);
        var now = Moment.From(time);
        _state = SiteState.Restore(site, safety, new Dictionary<string, bool>(), now);
        var notRestored = NotRestoredAfterConfigChange(safety, _state);
        var plan = OutputPlan.For(site, _state);
        // The restored plan, on every line, before any input is read but the fire inputs' raw
        // levels: a fire found there opens the egress locks released (SiteController.FireAtBoot.cs).
        OpenOutputs(BootLevels(plan));
        LogRestored(safety.Mode, safety.Lockdown?.Cause, plan.ToString());

        // Edges during settling are queued but dropped by timestamp: only the settled read counts.
        inputs.Start(OnEdge);
        await Task.Delay(SettleTime, time, cancellationToken).ConfigureAwait(false);
        _bootReadTimestamp = time.GetTimestamp();
        now = Moment.From(time);
        var events = new List<DomainEvent>
        {
            GatewayStarted.Restoring(now.Utc, safety) with { NotRestored = notRestored },
        };
        if (unreadable is not null)
        {
            events.Add(new SafetyStateUnreadable(now.Utc, unreadable));
        }

        var settled = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var point in site.Points)
        {
            var active = point.IsActive(ReadSettled(point, now.Utc, events));
            settled[point.Id] = active;
            _filters[point.Id] = new PointFilter(point, active, now.Monotonic);
            NoteDeliveryDelay(point);
            StartSupervising(point, site.Supervision, active, now.Monotonic);
            RefreshDeadline(_filters[point.Id]);
            // A lock monitor is active while its lock holds: at rest, no warning at every start.
            if (active && !point.MayRestActive)
            {
                events.Add(new PointActiveAtBoot(now.Utc, point.Id, point.Kind, point.Zone));
            }
        }

        _state = _state with { Points = SiteState.Restore(site, safety, settled, now).Points };
        // Persisted and driven like any decision: a fire already burning at boot releases egress.
        _safety = _state.Safety;
        if (notRestored.Count > 0)
        {
            // The state restored lost what the config no longer has (a threat level, a bypass, a
            // door's release): saved, or the old row stayed on disk, and a later config that
            // brought the level back brought it back in force, after the site had run without it.
            // Handed on as a change of the boot's records is (SaveDecided): nothing on site waits
            // for it, and it never takes the saver from a lockdown the settle decides.
            _safetySaveDueAt ??= now.Monotonic + SafetySaveRetryInterval;
        }

        Apply(InputsSettled.Instance, now, events); // reconciles the outputs like every decision
        FollowUnreadable([.. events], now, events); // a line whose boot read failed cannot be read
        _timer = time.CreateTimer(_ => _channel.Writer.TryWrite(new TimerMessage(time.GetTimestamp())), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Report(events);
        ScheduleTimer(now);
        _booted.TrySetResult();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _looping = true;
        try
        {
            while (await _channel.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Messages leave the channel only under the gate: an edge handled on its own thread
                // (SiteController.Inline.cs) checks the channel is empty under it, so it never
                // overtakes one taken here and not yet handled.
                lock (_loopGate)
                {
                    while (TryTakeNext(out var message))
                    {
                        Process(message);
                    }
                }
            }
        }
        finally
        {
            lock (_loopGate)
            {
                // A stop's cancellation may come before the loop took what it accepted (a panic press
                // in _deferred, queued edges): decided now, as the loop would (SiteController.Stop.cs).
                DecideAccepted();
                _looping = false;
            }
        }
    }

    // One message: decide, report, re-arm the timer, answer. The caller holds _loopGate.
    private void Process(ControllerMessage message)
    {
        var now = Moment.From(time);
        var events = new List<DomainEvent>();
        try
        {
            Handle(message, now, events);
        }
#pragma warning disable CA1031 // The loop protects the site: one bad message must never stop it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLoopFault(ex, message.GetType().Name);
            // A filter or supervisor may have moved for a change the decider never took.
            _pointsOutOfStep = true;
        }

        if (_pointsOutOfStep)
        {
            ResyncPoints(now, events);
        }

        Report(events);
        ScheduleTimerAfterReport(now);
        // Answered only now: "done" reaches the office after the command's events were handed to the journal.
        foreach (var (answer, outcome) in _answers)
        {
            answer.TrySetResult(outcome);
        }

        _answers.Clear();
    }

    private void Handle(ControllerMessage message, Moment now, List<DomainEvent> events)
    {
        switch (message)
        {
            case EdgeMessage { Edge: var edge }:
                if (edge.Timestamp < _bootReadTimestamp || !_filters.TryGetValue(edge.PointId, out var filter))
                {
                    return;
                }

                try
                {
                    OnFilteredEdge(filter, filter.Point.IsActive(edge.High), Moment.MonotonicOf(time, edge.Timestamp), now, events);
                }
                finally
                {
                    // Also when the decision failed half way (the loop goes on): the filter and
                    // supervisor have moved, and their deadlines must still be armed.
                    RefreshDeadline(filter);
                }

                break;
            case ReportMessage { Events: var reported }:
                events.AddRange(reported);
                OnHardwareReported(reported, now, events);
                FollowUnreadable(reported, now, events);
                WithdrawApprovals(reported, now, events);
                break;
            case KeyRotatedMessage { Operator: var rotated }:
                WithdrawApproval(rotated, now, events);
                break;
            case CommandMessage { Command: var command, Outcome: var answer }:
                try
                {
                    OnCommand(command, answer, now, events);
                }
                catch
                {
                    // The office is owed an answer even when the loop fails on its command, also in
                    // the key checks before it: unanswered, the subscriber, which runs one command
                    // at a time, held every later one (a remote lockdown too) until a restart. The
                    // journal is owed its end too, unless the decision recorded one before the failure;
                    // answered with the others after Process reports it, as every answer is.
                    const string failed = "the gateway failed on this command; see its log";
                    var id = command.Command.Command.Id;
                    if (!events.Exists(e => e is CommandDone d && d.CommandId == id || e is CommandRefused r && r.CommandId == id))
                    {
                        var c = command.Command.Command;
                        events.Add(new CommandRefused(now.Utc, c.Id, c.Type, c.Operator, failed));
                    }

                    _answers.Add((answer, new CommandOutcome(false, failed)));
                    throw;
                }

                break;
            case DeferredDecision { Input: var input, At: var decidedAt, Earlier: var earlier }:
                events.AddRange(earlier);
                Apply(input, decidedAt, events);
                break;
            case OutputsApplied:
                // Cleared first: an attempt finished while the loop looks is then not missed.
                Interlocked.Exchange(ref _outputsAppliedQueued, 0);
                ObserveOutputs(now, events);
                break;
            case SafetySaveEnded:
                OnAbandonedSaveEnded(now, events);
                break;
            case HeartbeatMessage { Answered: var answered }:
                answered.TrySetResult();
                break;
            case TimerMessage { Fired: var fired }:
                OnTimer(fired, now, events);
                break;
        }
    }

    // An office command: refused for its key, or decided; its answer waits for the decision's save.
    private void OnCommand(OfficeCommandInput command, TaskCompletionSource<CommandOutcome> answer, Moment now, List<DomainEvent> events)
    {
        if (RefusedForItsKey(command, now, events) is { } keyRefused)
        {
            _answers.Add((answer, keyRefused));
            return;
        }

        DropApprovalsOfWithdrawnKeys(command, now, events);
        var before = events.Count;
        Apply(command, now, events);
        NoteApprovals(command);
        _answers.Add((answer, events.Skip(before).LastOrDefault(e => e is CommandDone or CommandRefused) switch
        {
            CommandDone done => new CommandOutcome(true, done.Detail + Caveats()),
            CommandRefused refused => new CommandOutcome(false, refused.Reason),
            _ => new CommandOutcome(false, "the controller did not decide on the command"),
        }));
    }

    /// <summary>
    /// <see cref="SiteDecider.Decide"/>; a test replaces it to make a decision throw, as a bug in
    /// the decider would (ThrowingDecisionTests).
    /// </summary>
    internal Func<SiteDefinition, SiteState, SiteInput, Moment, Decision> Decider { get; set; } = SiteDecider.Decide;

    private void Apply(SiteInput input, Moment now, List<DomainEvent> events)
    {
        var decision = Decider(site, _state, input, now);
        // Built once per decision and kept: the previous state's is the one compared against. Not
        // built at all when nothing it is made of changed (most decisions), as _safety is _state's.
        var safety = decision.State.SameSafetyFieldsAs(_state) ? _safety : decision.State.Safety;
        var changed = safety != _safety;
        var recordsOnly = changed && OnlyBootRecordsDiffer(safety, _safety);
        // Behind a decision of this edge already deferred, a later one follows it to the loop
        // whatever it changes (SiteController.Inline.cs).
        if (((changed && !recordsOnly) || _deferred.Count > 0) && DeferToLoop(input, now, events))
        {
            return;
        }

        _decisions++;
        NoteDecidedSinceBoot(input, decision, safety);
        SaveDecided(safety, recordsOnly, now, events);
        _state = decision.State;
        events.AddRange(decision.Events);
        Reconcile(now, events);
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Safety state restored: mode={Mode} cause={Cause}; outputs driven to plan {Plan} before reading inputs")]
    private partial void LogRestored(SiteMode mode, string? cause, string plan);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Controller failed to handle {Message}; the loop goes on")]
    private partial void LogLoopFault(Exception ex, string message);
}
