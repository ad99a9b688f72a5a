using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.WalkTest;

/// <summary>One output the fire plan moved: its new state, and why it does not show it yet (null when it does).</summary>
/// <param name="Output">The output.</param>
/// <param name="Active">The state the fire plan gives it (a lock released, a strobe on).</param>
/// <param name="Failure">Why the line does not show it yet; null when it does.</param>
internal sealed record FireOutput(OutputDefinition Output, bool Active, string? Failure);

/// <summary>
/// The one rule of the gateway a walk test keeps: a fire input seen active drives the gateway's fire plan
/// (<see cref="LifeSafety.FireEgressReleased"/>: the egress locks released, and what else that plan moves,
/// such as strobes), latched until the walk test ends (the gateway's boot then decides again, reading the
/// fire inputs first). Before, the walk test reacted to nothing, so a fire during one (up to 4 h, 24 h with
/// <c>--duration</c>) left every escape door the gateway locks locked, with only a warning at the start to
/// staff them. Nothing else is acted on: the walk test is a maintenance activity, and a lockdown or exit
/// button has people to answer it. A line that does not show its level (a native write that threw, an
/// expander write the writer could not apply) is written again every second until it does.
/// </summary>
internal sealed class WalkTestFireRelease : IDisposable
{
    // How long the first report waits for an expander's writer to apply the writes.
    private static readonly TimeSpan Applied = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly SiteDefinition _site;
    private readonly SafetyState _held;
    private readonly IOutputLines _outputs;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _thrown = new(StringComparer.Ordinal);
    private IReadOnlyList<(OutputDefinition Output, bool Active)> _wanted = [];
    private ITimer? _retry;
    private bool _released;

    /// <param name="site">The site walked.</param>
    /// <param name="held">The safety state the outputs were opened at (<see cref="WalkTestBootPlan.Held"/>).</param>
    /// <param name="outputs">The outputs, opened at the plan of <paramref name="held"/>.</param>
    /// <param name="time">The walk test's clock.</param>
    public WalkTestFireRelease(SiteDefinition site, SafetyState held, IOutputLines outputs, TimeProvider time)
    {
        (_site, _held, _outputs, _time) = (site, held, outputs, time);
        // Already released when the gateway stopped under a latched fire: opened so.
        _released = held.LifeSafety == LifeSafety.FireEgressReleased;
    }

    /// <summary>
    /// A change the walk test saw. The first fire input seen active drives the fire plan and returns the
    /// outputs it moved, as their lines show them about a second later; null for anything else.
    /// </summary>
    public IReadOnlyList<FireOutput>? Seen(PointDefinition point, bool active)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (_released || !active || point.Kind != PointKind.FireAlarm)
        {
            return null;
        }

        _released = true;
        var now = Moment.From(_time);
        var before = WalkTestBootPlan.PlanOf(_site, _held, now);
        var fire = WalkTestBootPlan.PlanOf(_site, _held with { LifeSafety = LifeSafety.FireEgressReleased }, now);
        lock (_gate)
        {
            _wanted = [.. _site.Outputs.Where(o => fire.IsActive(o.Id) != before.IsActive(o.Id)).Select(o => (o, fire.IsActive(o.Id)))];
            WriteWanted(evenWhereShown: true);
        }

        // An expander's writes are applied by its writer: the report says what the lines show.
        // On the real clock: the walk test's may be a test's, which stands still.
        var since = System.Diagnostics.Stopwatch.GetTimestamp();
        while (_outputs is IQueuedOutputLines queued && _wanted.Any(w => queued.StateOf(w.Output.Id).Pending)
            && System.Diagnostics.Stopwatch.GetElapsedTime(since) < Applied)
        {
            Thread.Sleep(10);
        }

        List<FireOutput> report;
        lock (_gate)
        {
            report = [.. _wanted.Select(w => new FireOutput(w.Output, w.Active, Failure(w.Output, w.Active)))];
            if (report.Any(r => r.Failure is not null))
            {
                _retry = _time.CreateTimer(_ => Retry(), null, RetryInterval, RetryInterval);
            }
        }

        return report;
    }

    /// <summary>
    /// Whether the walk test holds <paramref name="lockOutput"/> locked now: its boot plan, or the fire plan once
    /// a fire input was seen. A lock monitor's rest follows it (<see cref="WalkTestTally.Start"/>).
    /// </summary>
    public bool HoldsLocked(OutputDefinition lockOutput)
    {
        ArgumentNullException.ThrowIfNull(lockOutput);
        var state = _released ? _held with { LifeSafety = LifeSafety.FireEgressReleased } : _held;
        return WalkTestBootPlan.PlanOf(_site, state, Moment.From(_time)).IsActive(lockOutput.Id);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _retry?.Dispose();
            _retry = null;
        }
    }

    private void Retry()
    {
        lock (_gate)
        {
            if (_retry is not null)
            {
                WriteWanted(evenWhereShown: false);
            }
        }
    }

    // Each output of the fire plan written: at the fire every one (evenWhereShown), then, on the
    // retries, each whose line does not show the plan's level and is not being written by an
    // expander's writer. The first pass writes a line that shows the level already too: an expander
    // found reset reads back unpowered, which for a fail-safe egress lock is the fire's level, and
    // skipped, the level it was last asked for stayed "locked", which its reconfiguration then drove.
    // The caller holds _gate.
    private void WriteWanted(bool evenWhereShown)
    {
        foreach (var (output, active) in _wanted)
        {
            var level = output.LevelFor(active);
            if (!evenWhereShown
                && (_outputs.ReadBack(output.Id) == level || (_outputs is IQueuedOutputLines queued && queued.StateOf(output.Id).Pending)))
            {
                continue;
            }

            try
            {
                _outputs.Write(output.Id, level);
                _thrown.Remove(output.Id);
            }
#pragma warning disable CA1031 // Every output is tried: one line that fails must not keep the others locked.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _thrown[output.Id] = ex.Message;
            }
        }
    }

    // Why the line does not show the level yet; null when it does. The caller holds _gate.
    private string? Failure(OutputDefinition output, bool active)
    {
        if (_outputs.ReadBack(output.Id) == output.LevelFor(active))
        {
            return null;
        }

        return _thrown.GetValueOrDefault(output.Id)
            ?? (_outputs is IQueuedOutputLines queued ? queued.StateOf(output.Id) : default) switch
            {
                { Failure: { } failure } => failure,
                { Pending: true } => "its expander has not applied the write yet",
                _ => "the line does not show it",
            };
    }
}
