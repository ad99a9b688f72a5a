namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The periodic test (SIA / Contact ID 602 "periodic test"): every
/// <see cref="Site.SiteDefinition.PeriodicTestInterval"/> the decider reports a summary of its
/// state. The office sees the broker's <c>offline</c> will when the link drops, but not a gateway
/// whose loop or journal-to-publisher path has stalled behind a live connection: this event comes
/// only when the timer fired, the loop decided, the journal took the event and the publisher sent
/// it, so its absence for two intervals is the office's missed-test alarm.
/// </summary>
/// <remarks>
/// The first test is due when the inputs settle after boot (it tells the office the interval the
/// config sets now, and what the restart restored), then one interval after each test on the
/// monotonic clock. A loop that falls behind sends one test when it catches up, never the ones it
/// missed: the next is an interval after the one sent. Not persisted: a restart starts afresh.
/// </remarks>
internal static class PeriodicTest
{
    /// <summary>Due at once when the inputs settle, if the site sends tests at all.</summary>
    public static SiteState OnInputsSettled(Site.SiteDefinition site, SiteState state, Moment now) =>
        site.PeriodicTestInterval > TimeSpan.Zero ? state with { PeriodicTestDue = now.Monotonic } : state;

    /// <summary>At a tick: the test, if it is due, and the next one an interval from now.</summary>
    public static SiteState OnTick(Site.SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        if (state.PeriodicTestDue is not { } due || now.Monotonic < due)
        {
            return state;
        }

        // Never flagged drill, whatever runs: the test is no part of a drill.
        events.Add(Summary(site, state, now));
        return state with { PeriodicTestDue = now.Monotonic + site.PeriodicTestInterval };
    }

    // What the office checks its own picture against: only what the decider holds itself.
    private static GatewayTest Summary(Site.SiteDefinition site, SiteState state, Moment now) =>
        new(now.Utc, site.PeriodicTestInterval, state.Mode, state.Lockdown?.Scenario)
        {
            ScenarioDrill = state.Lockdown?.Drill ?? false,
            FireEgressReleased = state.FireEgressReleased,
            ThreatLevel = state.ThreatLevel,
            ActivePoints = state.Points.Count(p => p.Value),
            Bypassed = [.. state.Bypasses.Keys],
            Unreadable = [.. state.UnreadablePoints],
            Chattering = [.. state.SuppressedPoints.Union(state.ChatteringPoints)],
            DoorAlarms = [.. state.Doors.Where(d => d.Value.Forced || d.Value.HeldOpen || d.Value.LockFault is not null).Select(d => d.Key)],
        };
}

/// <summary>
/// The periodic test (Contact ID 602): the gateway's loop, decider, journal and publisher all
/// work, and this is the state the decider holds. Expect the next one <see cref="Interval"/> after
/// it; none for two intervals is a missed test. Never a drill event, even during a drill.
/// </summary>
/// <param name="At">When the test was decided.</param>
/// <param name="Interval">The time to the next test (<c>mqtt.periodicTestSeconds</c>).</param>
/// <param name="Mode">The site's mode.</param>
/// <param name="Scenario">The running scenario's id; null in normal mode.</param>
public sealed record GatewayTest(DateTimeOffset At, TimeSpan Interval, SiteMode Mode, string? Scenario) : DomainEvent(At)
{
    /// <summary>Whether the running scenario is a drill (the test itself never is).</summary>
    public bool ScenarioDrill { get; init; }

    /// <summary>Whether egress is released for a fire.</summary>
    public bool FireEgressReleased { get; init; }

    /// <summary>The threat level in force.</summary>
    public int ThreatLevel { get; init; } = 1;

    /// <summary>How many points are active now (bypassed ones included).</summary>
    public int ActivePoints { get; init; }

    /// <summary>The bypassed points, in id order.</summary>
    public IReadOnlyList<string> Bypassed { get; init; } = [];

    /// <summary>The points the gateway cannot read (loop cut or bridged, chip not answering), in id order.</summary>
    public IReadOnlyList<string> Unreadable { get; init; } = [];

    /// <summary>The points with <c>fault.chatter</c> raised, in id order.</summary>
    public IReadOnlyList<string> Chattering { get; init; } = [];

    /// <summary>The doors with an alarm or fault raised (forced, held open, lock fault), in id order.</summary>
    public IReadOnlyList<string> DoorAlarms { get; init; } = [];

    public override string Type => "gateway.test";
    public override Severity Severity => Severity.Info;
}
