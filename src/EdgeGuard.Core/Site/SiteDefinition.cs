using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Site;

/// <summary>A named group of points and outputs (a floor, a wing, the perimeter).</summary>
public sealed record ZoneDefinition(string Id, string Name);

/// <summary>What a lockdown does and who may end it locally.</summary>
/// <param name="ScopeZones">Zones whose locks are locked; empty means every zone.</param>
/// <param name="SirenDuration">How long sirens sound after a lockdown starts.</param>
/// <param name="ClearKeyswitches">Keyswitch points authorised to clear a lockdown.</param>
public sealed record LockdownPolicy(
    IReadOnlyList<string> ScopeZones,
    TimeSpan SirenDuration,
    IReadOnlyList<string> ClearKeyswitches)
{
    /// <summary>Whether an output in <paramref name="zone"/> is covered by a lockdown.</summary>
    public bool Covers(string zone) => ScopeZones.Count == 0 || ScopeZones.Contains(zone, StringComparer.Ordinal);
}

/// <summary>Who may re-lock egress doors after a fire alarm.</summary>
/// <param name="FireResetKeyswitches">Keyswitch points authorised to reset the fire release.</param>
public sealed record LifeSafetyPolicy(IReadOnlyList<string> FireResetKeyswitches)
{
    /// <summary>No local reset: only a future authenticated office command can re-lock after a fire.</summary>
    public static LifeSafetyPolicy None { get; } = new([]);
}

/// <summary>The whole validated site configuration the controller runs on.</summary>
public sealed record SiteDefinition(
    string SiteId,
    string GatewayId,
    IReadOnlyList<ZoneDefinition> Zones,
    IReadOnlyList<PointDefinition> Points,
    IReadOnlyList<OutputDefinition> Outputs,
    LockdownPolicy Lockdown,
    LifeSafetyPolicy? LifeSafety = null,
    IReadOnlyList<DoorDefinition>? Doors = null)
{
    /// <summary>The supervised doors (none configured: empty).</summary>
    public IReadOnlyList<DoorDefinition> DoorList => Doors ?? [];

    /// <summary>Scenarios beyond the built-in lockdown (evacuation, shelter in place, scoped lockdowns).</summary>
    public IReadOnlyList<ScenarioDefinition> ExtraScenarios { get; init; } = [];

    /// <summary>Keyswitch points that start the built-in lockdown as a drill.</summary>
    public IReadOnlyList<string> LockdownDrillTriggers { get; init; } = [];

    /// <summary>Outputs a drill never drives (external sirens: rehearse without alarming the city).</summary>
    public IReadOnlyList<string> DrillMutedOutputs { get; init; } = [];

    /// <summary>Configured threat levels, lowest first; none configured: <see cref="ThreatLevelDefinition.Default"/>.</summary>
    public IReadOnlyList<ThreatLevelDefinition> ThreatLevels { get; init; } = [];

    /// <summary>The site's time zone, for arming schedules (UTC unless configured).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Whether <paramref name="level"/> arms <paramref name="zone"/> at <paramref name="at"/> on this site.</summary>
    public bool Arms(ThreatLevelDefinition level, string zone, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(level);
        return level.Arms(zone, at, TimeZone);
    }

    /// <summary>The level a gateway starts at on first boot.</summary>
    public int InitialThreatLevel { get; init; } = 1;

    /// <summary>The definition of <paramref name="level"/>, or the initial one when it is not configured.</summary>
    public ThreatLevelDefinition ThreatLevel(int level)
    {
        if (ThreatLevels.Count == 0)
        {
            return Cached().DefaultThreatLevel;
        }

        // A loop, not a query: asked on every point that goes active, on the path to the office.
        foreach (var definition in ThreatLevels)
        {
            if (definition.Level == level)
            {
                return definition;
            }
        }

        return ThreatLevels.First(t => t.Level == InitialThreatLevel);
    }

    /// <summary>Every scenario, the built-in lockdown first: every panic button starts it (silent hold-up buttons excepted).</summary>
    public IReadOnlyList<ScenarioDefinition> Scenarios => Cached().Scenarios;

    /// <summary>
    /// The scenario with <paramref name="id"/>; when a config change removed it while it was running,
    /// or gave its id another mode, a stand-in of the persisted mode covering the whole site, ended
    /// like the built-in lockdown. Before, a changed mode kept the persisted mode with the new
    /// scenario's zones, rank and releasers: a shelter of one wing restored as an evacuation of
    /// that wing only.
    /// </summary>
    public ScenarioDefinition ScenarioOrStandIn(string id, SiteMode mode) =>
        Scenarios.FirstOrDefault(s => s.Id == id && s.Mode == mode)
        ?? Scenarios[0] with { Id = id, Mode = mode, Zones = [], Triggers = [], DrillTriggers = [] };

    /// <summary>The life-safety policy (none configured: <see cref="LifeSafetyPolicy.None"/>).</summary>
    public LifeSafetyPolicy FireReset => LifeSafety ?? LifeSafetyPolicy.None;

    /// <summary>Chatter detection and settling (not configured: <see cref="SupervisionPolicy.Default"/>).</summary>
    public SupervisionPolicy Supervision { get; init; } = SupervisionPolicy.Default;

    /// <summary>
    /// How close together two supervisors' signed all-clears must arrive to lift a scenario remotely
    /// (<c>commands.allClearWindowSeconds</c>; default <see cref="Commands.TwoPersonApproval.DefaultWindow"/>).
    /// </summary>
    public TimeSpan AllClearWindow { get; init; } = Commands.TwoPersonApproval.DefaultWindow;

    /// <summary>
    /// How often the gateway sends its periodic test (<c>gateway.test</c>, Contact ID 602) through
    /// the decider, the journal and the publisher (<c>mqtt.periodicTestSeconds</c>); zero sends
    /// none. Zero here: the config reader gives a gateway its default of five minutes.
    /// </summary>
    public TimeSpan PeriodicTestInterval { get; init; }

    /// <summary>
    /// The scenario <paramref name="pointId"/> starts: the highest-ranked one listing it as a trigger
    /// (or, with <paramref name="drill"/>, as a drill trigger), the first of equal rank; null when none.
    /// Config lets a panic button trigger only scenarios that lock, so a press never evacuates.
    /// </summary>
    public ScenarioDefinition? ScenarioTriggeredBy(string pointId, bool drill) =>
        (drill ? Cached().DrillTriggered : Cached().Triggered).GetValueOrDefault(pointId);

    /// <summary>Looks a point up by id.</summary>
    public PointDefinition? FindPoint(string id) => Cached().PointsById.GetValueOrDefault(id);

    /// <summary>Looks an output up by id; throws for an id the site does not have.</summary>
    public OutputDefinition Output(string id) =>
        Cached().OutputsById.TryGetValue(id, out var output) ? output : throw new KeyNotFoundException($"Output '{id}' is not configured on this site.");

    /// <summary>Looks a point up by id; throws for an id the site does not have.</summary>
    public PointDefinition Point(string id) =>
        FindPoint(id) ?? throw new KeyNotFoundException($"Point '{id}' is not configured on this site.");

    // What is derived from the definition (lookups, the scenario list) is built once, not on every
    // decision. The inputs are remembered by reference: a `with` that replaces one rebuilds it
    // rather than serving the copy of the record it was made from.
    private Derived? _derived;

    private Derived Cached()
    {
        var derived = Volatile.Read(ref _derived);
        if (derived is not null && ReferenceEquals(derived.Points, Points) && ReferenceEquals(derived.Outputs, Outputs) && ReferenceEquals(derived.Lockdown, Lockdown)
            && ReferenceEquals(derived.Extra, ExtraScenarios) && ReferenceEquals(derived.DrillTriggers, LockdownDrillTriggers))
        {
            return derived;
        }

        ScenarioDefinition lockdown = new(ScenarioDefinition.LockdownId, SiteMode.Lockdown, Lockdown.ScopeZones, ScenarioDefinition.LockdownRank,
            [.. Points.Where(p => p.Kind == PointKind.PanicButton && !p.Silent).Select(p => p.Id)], LockdownDrillTriggers, Lockdown.ClearKeyswitches,
            Lockdown.SirenDuration);
        ScenarioDefinition[] scenarios = [lockdown, .. ExtraScenarios];
        derived = new Derived(Points, Outputs, Lockdown, ExtraScenarios, LockdownDrillTriggers,
            Points.ToDictionary(p => p.Id, StringComparer.Ordinal), Outputs.ToDictionary(o => o.Id, StringComparer.Ordinal),
            scenarios, ThreatLevelDefinition.Default(Points), HighestRanked(scenarios, s => s.Triggers), HighestRanked(scenarios, s => s.DrillTriggers));
        Volatile.Write(ref _derived, derived);
        return derived;
    }

    // Point id → the highest-ranked scenario listing it (the first of equal rank).
    private static Dictionary<string, ScenarioDefinition> HighestRanked(ScenarioDefinition[] scenarios, Func<ScenarioDefinition, IReadOnlyList<string>> points)
    {
        var highest = new Dictionary<string, ScenarioDefinition>(StringComparer.Ordinal);
        foreach (var scenario in scenarios)
        {
            foreach (var point in points(scenario))
            {
                if (!highest.TryGetValue(point, out var found) || scenario.Rank > found.Rank)
                {
                    highest[point] = scenario;
                }
            }
        }

        return highest;
    }

    private sealed record Derived(
        IReadOnlyList<PointDefinition> Points,
        IReadOnlyList<OutputDefinition> Outputs,
        LockdownPolicy Lockdown,
        IReadOnlyList<ScenarioDefinition> Extra,
        IReadOnlyList<string> DrillTriggers,
        Dictionary<string, PointDefinition> PointsById,
        Dictionary<string, OutputDefinition> OutputsById,
        IReadOnlyList<ScenarioDefinition> Scenarios,
        ThreatLevelDefinition DefaultThreatLevel,
        Dictionary<string, ScenarioDefinition> Triggered,
        Dictionary<string, ScenarioDefinition> DrillTriggered);
}
