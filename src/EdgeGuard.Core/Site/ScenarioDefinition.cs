using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Site;

/// <summary>
/// A named response the site can be put into: which mode, where, who may start it (for real or as
/// a drill) and who may end it. When two overlap, the higher <see cref="Rank"/> wins.
/// </summary>
/// <param name="Id">Scenario id (in events and the retained state).</param>
/// <param name="Mode">The mode it puts the site in (never <see cref="SiteMode.Normal"/>).</param>
/// <param name="Zones">Zones it covers; empty means every zone.</param>
/// <param name="Rank">Precedence: a running scenario is replaced only by a higher-ranked one.</param>
/// <param name="Triggers">Points that start it for real (panic buttons, keyswitches).</param>
/// <param name="DrillTriggers">Keyswitch points that start it as a drill.</param>
/// <param name="Releasers">Keyswitch points that end it.</param>
/// <param name="SirenDuration">How long sirens sound once it starts.</param>
public sealed record ScenarioDefinition(
    string Id,
    SiteMode Mode,
    IReadOnlyList<string> Zones,
    int Rank,
    IReadOnlyList<string> Triggers,
    IReadOnlyList<string> DrillTriggers,
    IReadOnlyList<string> Releasers,
    TimeSpan SirenDuration)
{
    /// <summary>The id of the scenario every site has: panic buttons lock the site down.</summary>
    public const string LockdownId = "lockdown";

    /// <summary>Rank of the built-in lockdown.</summary>
    public const int LockdownRank = 100;

    /// <summary>Whether an output in <paramref name="zone"/> is covered.</summary>
    public bool Covers(string zone) => Zones.Count == 0 || Zones.Contains(zone, StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="other"/> is this scenario: the same id and mode. A stand-in of another
    /// mode under a configured scenario's id (<see cref="SiteDefinition.ScenarioOrStandIn"/>) is not.
    /// </summary>
    public bool IsSame(ScenarioDefinition other) => other is not null && Id == other.Id && Mode == other.Mode;
}
