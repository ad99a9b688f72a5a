using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Controller;

// Driving the outputs to the plan, and driving them again until they show it. A reconcile runs at
// the end of every decision; a write that failed (an I²C NACK, EIO from the GPIO character device)
// must not wait for some unrelated input to be tried again, because on a quiet site none may come:
// a fire's egress release whose relay write failed once would stay unapplied. So while the lines do
// not show the plan, the controller's one timer is also armed for a retry (SiteController.Timer.cs).
//
// The order of the writes is a safety rule too. They run one after another on this loop, and a write
// to an MCP23017 on a hung I²C bus blocks: nothing in our driver or System.Device.Gpio times it out,
// the kernel's adapter does after 1 s per transaction, and a supervision sweep or re-configure of the
// same chip holding its lock comes on top. So every egress lock the plan leaves unlocked is written
// first, native lines before expander lines, and only then the rest, native first: no expander stall
// can hold a native egress release of the same pass (docs/architecture.md, "Output write order").
public sealed partial class SiteController
{
    /// <summary>
    /// How soon outputs that do not show the plan are driven again. Short enough that a relay whose
    /// write failed once (a bus glitch) takes its level well within a person's reaction time; long
    /// enough that a dead relay driver costs the loop four cheap attempts a second, not a busy loop.
    /// </summary>
    public static readonly TimeSpan OutputRetryInterval = TimeSpan.FromMilliseconds(250);

    private bool _linesShowPlan;

    /// <summary>When the outputs are to be driven again; null while every line shows the plan.</summary>
    private TimeSpan? _outputRetryAt;

    /// <summary>
    /// Per output (as <c>site.Outputs</c> orders them): its write failed and that was reported. Keeps
    /// the journal to one <see cref="OutputFault"/> per failing line, however many retries it takes,
    /// and one <see cref="OutputFaultRestored"/> once it shows the plan again.
    /// </summary>
    private readonly bool[] _outputFailing = new bool[site.Outputs.Count];

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
    private void Reconcile(Moment now, List<DomainEvent> events)
    {
        var plan = OutputPlan.For(site, _state);
        // Most decisions (a door opening, a timer) leave the plan as it was. When the lines showed
        // that plan after the last reconcile, every write would be skipped and every read-back be
        // the same (both are of the levels the lines last wrote), so only the snapshot moves: this
        // runs on the path an edge takes to the office (docs/PERFORMANCE.md). A line that failed
        // its write still shows the old level, so the plan is driven again until it took.
        if (_snapshot is { } last && plan.Equals(last.Plan) && (_linesShowPlan || _onEdgeThread))
        {
            // On a GPIO thread a plan that is only still to be retried is left to the retry on the
            // loop's timer: writes to a dead chip can block for a bus timeout, and that thread
            // timestamps the next edges.
            _snapshot = last with { State = _state, Decisions = _decisions, SuppressedPoints = _suppressed };
            return;
        }

        // False until every line was driven and read back: a reconcile that throws half way leaves
        // lines at a plan the snapshot does not show, and the next decision (or the retry, armed
        // here for that case too) must drive them all.
        _linesShowPlan = false;
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

        // In the site's order, whatever the write order: the snapshot (and `sim status`) list them so.
        var levels = new Dictionary<string, bool>(site.Outputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < readBack.Length; i++)
        {
            levels[site.Outputs[i].Id] = readBack[i];
        }

        _linesShowPlan = shown;
        if (shown)
        {
            _outputRetryAt = null;
        }

        _snapshot = new SiteSnapshot(_state, plan, levels, _decisions) { SuppressedPoints = _suppressed };
    }

    /// <summary>
    /// Writes one output to its planned level and reads it back; true when the line shows the plan. A
    /// failed write is reported once per episode and its restore once it shows the plan again.
    /// <paramref name="readBack"/> is the level the line shows now.
    /// </summary>
    private bool Drive(int i, bool active, Moment now, List<DomainEvent> events, out bool readBack)
    {
        var output = site.Outputs[i];
        var high = output.LevelFor(active);
        var written = true;
        try
        {
            _outputLines!.Write(output.Id, high);
        }
#pragma warning disable CA1031 // One broken relay must not keep the others from being driven.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            written = false;
            if (!_outputFailing[i])
            {
                _outputFailing[i] = true;
                events.Add(new OutputFault(now.Utc, output.Id, ex.Message));
            }
        }

        readBack = _outputLines!.ReadBack(output.Id);
        if (written && readBack == high && _outputFailing[i])
        {
            _outputFailing[i] = false;
            events.Add(new OutputFaultRestored(now.Utc, output.Id));
        }

        // A write that threw is not shown even when the read-back matches: the level may be one nothing
        // drove (a chip not configured yet reads back the boot plan), so it is driven again.
        return written && readBack == high;
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
                Reconcile(now, events);
                return;
            }
        }
    }
}
