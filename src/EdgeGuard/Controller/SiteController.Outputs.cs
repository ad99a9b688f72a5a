using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Controller;

// Driving the outputs to the plan, and driving them again until they show it. A reconcile runs at
// the end of every decision; a write that failed (an I²C NACK, EIO from the GPIO character device)
// must not wait for some unrelated input to be tried again, because on a quiet site none may come:
// a fire's egress release whose relay write failed once would stay unapplied. So while the lines do
// not show the plan, the controller's one timer is also armed for a retry (SiteController.Timer.cs).
//
// This loop never waits for the I²C bus. A write to an MCP23017 on a hung bus blocks (the kernel's
// adapter times out after 1 s per transaction, and a supervision sweep or re-configure of the chip
// holding its lock comes on top), so the gateway's expander outputs are queued lines
// (IQueuedOutputLines): Write records the level wanted and a writer per chip applies the latest one,
// egress releases first. Native GPIO writes stay here, inline: they do not block like I²C. What the
// lines show is what the writers achieved, never what was queued: a queued write is not shown until its
// writer read it back, and a writer's failure is reported like a native write's, once per episode.
// Each writer's attempt wakes the loop (OutputsApplied), which looks at the lines again without writing.
//
// The order of the writes still matters within a pass: every egress lock the plan leaves unlocked is
// written first, native lines before expander lines, and only then the rest, native first. With the
// writers that order only queues the expander writes, but lines whose writes do block (tools and
// tests compose them) keep their native egress releases ahead of any expander stall
// (docs/architecture.md, "Output write order").
public sealed partial class SiteController
{
    /// <summary>
    /// How soon outputs that do not show the plan are driven again. Short enough that a relay whose
    /// write failed once (a bus glitch) takes its level well within a person's reaction time; long
    /// enough that a dead relay driver costs the loop four cheap attempts a second, not a busy loop.
    /// </summary>
    public static readonly TimeSpan OutputRetryInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How early a retry still counts as due: the timer fires at the millisecond it was armed for, but
    /// the clock's timestamp, converted to a time span, can read a tick before the retry's time.
    /// </summary>
    private static readonly TimeSpan RetryDueSlack = TimeSpan.FromMilliseconds(1);

    private bool _linesShowPlan;

    /// <summary>
    /// Reconciles that drove the lines (not the no-op path): the stop compares it before and after its
    /// last save, to know whether a decision made meanwhile wrote and may have failed (SiteController.Stop.cs).
    /// </summary>
    private long _outputDrives;

    /// <summary><see cref="_outputDrives"/> after the stop's first once-more drive (SiteController.Stop.cs).</summary>
    private long _outputDrivesAtStop;

    /// <summary>The output lines whose writes a writer applies (the expanders'); null when none are.</summary>
    private IQueuedOutputLines? _queuedOutputs;

    /// <summary>1 while an <see cref="OutputsApplied"/> is in the channel: a writer's attempts wake the loop once.</summary>
    private int _outputsAppliedQueued;

    /// <summary>When the outputs are to be driven again; null while every line shows the plan.</summary>
    private TimeSpan? _outputRetryAt;

    /// <summary>
    /// Per output (as <c>site.Outputs</c> orders them): its write failed and that was reported. Keeps
    /// the journal to one <see cref="OutputFault"/> per failing line, however many retries it takes,
    /// and one <see cref="OutputFaultRestored"/> once it shows the plan again.
    /// </summary>
    private readonly bool[] _outputFailing = new bool[site.Outputs.Count];

    /// <summary>
    /// Per output: why its last write threw in <see cref="Drive"/> (a line written inline, a native one);
    /// null once one did not. Looking at the lines again without writing (<see cref="ObserveOutputs"/>)
    /// keeps such a line failed, even when its read-back shows the plan (the level may be one nothing drove).
    /// </summary>
    private readonly string?[] _writeFailure = new string?[site.Outputs.Count];

    /// <summary>
    /// Indices into <c>site.Outputs</c>, native GPIO lines first, then expander pins, each in configuration
    /// order. A reconcile walks it twice: egress releases, then everything else.
    /// </summary>
    private readonly int[] _nativeFirst =
    [
        .. Enumerable.Range(0, site.Outputs.Count).Where(i => site.Outputs[i].LineAddress is null),
        .. Enumerable.Range(0, site.Outputs.Count).Where(i => site.Outputs[i].LineAddress is not null),
    ];

    /// <summary>
    /// What each line showed after the last pass, by <c>site.Outputs</c> index: reused (only the loop, under
    /// its gate, reconciles), since the snapshot keeps the dictionary made from it, not the array.
    /// </summary>
    private readonly bool[] _readBack = new bool[site.Outputs.Count];

    /// <summary>Writes every output whose line differs from the plan; the lines skip no-op writes.</summary>
    /// <param name="now">The decision's moment.</param>
    /// <param name="events">Where output faults and their restores go.</param>
    /// <param name="retryNow">Drive a plan still to be retried now, not at the retry's time (a chip answers again).</param>
    private void Reconcile(Moment now, List<DomainEvent> events, bool retryNow = false)
    {
        var plan = OutputPlan.For(site, _state);
        // Most decisions (a door opening, a timer) leave the plan as it was. When the lines showed
        // that plan after the last reconcile, every write would be skipped and every read-back be
        // the same (both are of the levels the lines last wrote), so only the snapshot moves: this
        // runs on the path an edge takes to the office (docs/PERFORMANCE.md). A line that failed
        // its write still shows the old level, so the plan is driven again until it took, but only
        // at the retry's pace, on whichever thread: a chattering input must not drive a dead chip
        // (each attempt a writer's OutputsApplied, which sends the next edges to the loop) at the
        // edge rate. On a GPIO thread it is left to the loop's timer altogether: lines whose writes
        // are made in Write may block (a tool's or test's expander lines without a writer), and that
        // thread timestamps the next edges.
        if (_snapshot is { } last && plan.Equals(last.Plan)
            && (_linesShowPlan || _onEdgeThread || (!retryNow && _outputRetryAt is { } at && now.Monotonic + RetryDueSlack < at)))
        {
            _snapshot = last with { State = _state, Decisions = _decisions, SuppressedPoints = _suppressed };
            return;
        }

        // False until every line was driven and read back: a reconcile that throws half way leaves
        // lines at a plan the snapshot does not show, and the next decision (or the retry, armed
        // here for that case too) must drive them all.
        _linesShowPlan = false;
        _outputDrives++;
        _outputRetryAt = now.Monotonic + OutputRetryInterval;
        var readBack = _readBack;
        var shown = true;
        // Egress releases first (fire, evacuation: a door people must get out through), then the rest.
        // An egress lock the plan keeps unlocked is in the first pass too: its write is skipped by the
        // line when it already shows the plan, and a release whose write failed is retried first.
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var i in _nativeFirst)
            {
                if (site.Outputs[i].ReleasesEgress(plan.IsActiveAt(i)) == (pass == 0))
                {
                    shown &= Drive(i, plan.IsActiveAt(i), now, events, out readBack[i]);
                }
            }
        }

        Conclude(plan, shown);
    }

    /// <summary>
    /// After a writer's attempt (<see cref="OutputsApplied"/>): looks at what every line shows now, without
    /// writing, so a failure is reported and a plan the lines took is known at once. Also while the lines
    /// showed the plan: a writer writes again on its own a level its chip lost (a reset chip not configured
    /// again), and only its attempt says so; skipped, the snapshot kept a dropped lock locked, no fault.output.
    /// </summary>
    private void ObserveOutputs(Moment now, List<DomainEvent> events)
    {
        if (_snapshot is null)
        {
            return;
        }

        // The current state's plan, not the snapshot's: a reconcile that threw half way left that one behind.
        var plan = OutputPlan.For(site, _state);
        var shown = true;
        for (var i = 0; i < _readBack.Length; i++)
        {
            shown &= Observe(i, site.Outputs[i].LevelFor(plan.IsActiveAt(i)), null, now, events, out _readBack[i]);
        }

        _outputRetryAt ??= now.Monotonic + OutputRetryInterval;
        Conclude(plan, shown);
    }

    /// <summary>Records whether the lines show <paramref name="plan"/>, and publishes it with what they show.</summary>
    private void Conclude(OutputPlan plan, bool shown)
    {
        // In the site's order, whatever the write order: the snapshot (and `sim status`) list them so.
        var levels = new Dictionary<string, bool>(site.Outputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < _readBack.Length; i++)
        {
            levels[site.Outputs[i].Id] = _readBack[i];
        }

        _linesShowPlan = shown;
        if (shown)
        {
            _outputRetryAt = null;
        }

        _snapshot = new SiteSnapshot(_state, plan, levels, _decisions) { SuppressedPoints = _suppressed };
    }

    /// <summary>
    /// Writes one output to its planned level and looks at what it shows; true when it shows the plan. A
    /// queued write (an expander's) only asks its writer: it is shown once the writer achieved it.
    /// <paramref name="readBack"/> is the level the line shows now.
    /// </summary>
    private bool Drive(int i, bool active, Moment now, List<DomainEvent> events, out bool readBack)
    {
        var output = site.Outputs[i];
        var high = output.LevelFor(active);
        string? failure = null;
        try
        {
            _outputLines!.Write(output.Id, high);
        }
#pragma warning disable CA1031 // One broken relay must not keep the others from being driven.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex.Message;
        }

        _writeFailure[i] = failure;
        return Observe(i, high, failure, now, events, out readBack);
    }

    /// <summary>
    /// Whether output <paramref name="i"/> shows <paramref name="high"/>: its write did not fail (here, or in
    /// its writer), none is still pending, and it reads back that level. A failure is reported once per
    /// episode, and its restore once the line shows the plan again.
    /// </summary>
    private bool Observe(int i, bool high, string? failure, Moment now, List<DomainEvent> events, out bool readBack)
    {
        var output = site.Outputs[i];
        var writing = _queuedOutputs?.StateOf(output.Id) ?? default;
        failure ??= writing.Failure ?? _writeFailure[i];
        readBack = _outputLines!.ReadBack(output.Id);
        if (failure is not null)
        {
            if (!_outputFailing[i])
            {
                _outputFailing[i] = true;
                events.Add(new OutputFault(now.Utc, output.Id, failure));
            }

            // Not shown even when the read-back matches: the level may be one nothing drove (a chip not
            // configured yet reads back the boot plan), so it is driven again.
            return false;
        }

        var shown = !writing.Pending && readBack == high;
        if (shown && _outputFailing[i])
        {
            _outputFailing[i] = false;
            events.Add(new OutputFaultRestored(now.Utc, output.Id));
        }

        return shown;
    }

    /// <summary>
    /// Opens the output lines at <paramref name="levels"/> (the restored plan's, egress released for a
    /// fire found at boot), or those not opened before the load already; queued ones (the
    /// expanders') wake the loop after each attempt.
    /// </summary>
    private void OpenOutputs(IReadOnlyDictionary<string, bool> levels)
    {
        _outputLines = _egressBeforeLoad is { } early ? OpenAfterEgressBeforeLoad(early, levels) : createOutputs(levels);
        if (_outputLines is IQueuedOutputLines queued)
        {
            _queuedOutputs = queued;
            queued.OnApplied(() =>
            {
                if (Interlocked.Exchange(ref _outputsAppliedQueued, 1) == 0)
                {
                    _channel.Writer.TryWrite(OutputsApplied.Instance);
                }
            });
        }
    }

    /// <summary>
    /// A chip of the I/O board answers again: outputs on it whose writes failed meanwhile are driven
    /// now, not at the next retry or decision.
    /// </summary>
    private void OnHardwareReported(IReadOnlyList<DomainEvent> reported, Moment now, List<DomainEvent> events)
    {
        if (_linesShowPlan)
        {
            return;
        }

        for (var i = 0; i < reported.Count; i++)
        {
            if (reported[i] is HardwareFaultRestored)
            {
                Reconcile(now, events, retryNow: true);
                return;
            }
        }
    }
}
