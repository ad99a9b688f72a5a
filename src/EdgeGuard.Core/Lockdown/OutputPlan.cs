using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The desired logical state of every output, derived from the site state alone. "Active" means
/// locked for a lock and sounding/lit for everything else. A reconciler applies the differences.
/// </summary>
public sealed class OutputPlan : IEquatable<OutputPlan>
{
    // One flag per output, in the site's order. A plan is computed for every decision, on the path
    // an edge takes to the office's PUBLISH; a sorted immutable dictionary there cost a tree of
    // nodes per decision (docs/PERFORMANCE.md). The dictionary is built only if someone asks for it.
    private readonly IReadOnlyList<OutputDefinition> _outputs;
    private readonly bool[] _active;
    private ImmutableSortedDictionary<string, bool>? _byId;

    private OutputPlan(IReadOnlyList<OutputDefinition> outputs, bool[] active) => (_outputs, _active) = (outputs, active);

    /// <summary>Output id → active.</summary>
    public ImmutableSortedDictionary<string, bool> Active => _byId ??= ById();

    /// <summary>Whether the plan wants <paramref name="outputId"/> active.</summary>
    public bool IsActive(string outputId)
    {
        for (var i = 0; i < _active.Length; i++)
        {
            if (string.Equals(_outputs[i].Id, outputId, StringComparison.Ordinal))
            {
                return _active[i];
            }
        }

        return false;
    }

    /// <summary>Whether the plan wants the output at <paramref name="index"/> in the site's outputs active.</summary>
    /// <param name="index">An index into <see cref="SiteDefinition.Outputs"/> of the site the plan was computed for.</param>
    public bool IsActiveAt(int index) => _active[index];

    /// <summary>The electrical level of every output line that realises this plan.</summary>
    public IReadOnlyDictionary<string, bool> Levels(SiteDefinition site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return site.Outputs.ToDictionary(o => o.Id, o => o.LevelFor(IsActive(o.Id)), StringComparer.Ordinal);
    }

    /// <summary>Computes the plan. Safety rules belong here, where property tests can hold them.</summary>
    public static OutputPlan For(SiteDefinition site, SiteState state)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        var outputs = site.Outputs;
        var active = new bool[outputs.Count];
        var running = Transitions.Running(site, state);
        var fire = state.FireEgressReleased;
        // A drill runs the same logic but never lets the *scenario* drive the outputs the config
        // mutes; a real fire or a door's delayed-egress alarm during a drill is not muted.
        var drillMuted = state.Lockdown is { Drill: true } ? site.DrillMutedOutputs : [];
        for (var i = 0; i < active.Length; i++)
        {
            var output = outputs[i];
            var scenarioMay = running is not null && !drillMuted.Contains(output.Id, StringComparer.Ordinal);
            var inScope = scenarioMay && running!.Covers(output.Zone);
            // The zones of the real scenarios kept under the running one are alarmed too: a press
            // kept suspended must be seen and heard where it was made (a drill suspends nothing).
            var suspendedScope = scenarioMay && state.Suspended.Count > 0 && SuspendedCovers(site, state, output.Zone, sounding: output.Kind == OutputKind.Siren);
            var localAlarm = DoorSupervision.SoundsLocalAlarm(site, state, output.Id);
            active[i] = output.Kind switch
            {
                // A request to exit or delayed egress releases its own door (see DoorSupervision).
                OutputKind.Lock => LockedByPolicy(site, state, output) && !DoorSupervision.ReleasesLock(site, state, output),
                // Shelter in place is quiet on purpose (SirenUntil stays null there; a suspended
                // shelter's zones sound only if the running scenario covers them).
                OutputKind.Siren => ((inScope || suspendedScope) && state.SirenSounding) || localAlarm,
                // Strobes guide people out in a fire; the fire panel owns the sounders.
                OutputKind.Strobe => inScope || suspendedScope || fire || localAlarm,
                // The lamp at the guard post shows any mode other than normal, wherever it is mounted.
                OutputKind.Indicator => scenarioMay || localAlarm,
                _ => false,
            };
        }

        return new OutputPlan(outputs, active);
    }

    // Whether a suspended scenario covers the zone; for a siren only a lockdown or an evacuation.
    private static bool SuspendedCovers(SiteDefinition site, SiteState state, string zone, bool sounding)
    {
        foreach (var suspended in state.Suspended)
        {
            if ((!sounding || suspended.Mode != SiteMode.ShelterInPlace)
                && site.ScenarioOrStandIn(suspended.Info.Scenario, suspended.Mode).Covers(zone))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the mode and life safety want <paramref name="lockOutput"/> locked, before any door's
    /// own release. Life safety beats everything: in a fire every egress door opens, lockdown or not.
    /// </summary>
    public static bool LockedByPolicy(SiteDefinition site, SiteState state, OutputDefinition lockOutput)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(lockOutput);
        // An evacuation opens every escape route on the site, not only those in its zones.
        if (lockOutput.Egress && (state.FireEgressReleased || state.Mode == SiteMode.Evacuation))
        {
            return false;
        }

        var keepsPeopleOut = state.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace;
        return (keepsPeopleOut && Transitions.Running(site, state)!.Covers(lockOutput.Zone)) || lockOutput.NormallyLocked
            || (state.Suspended.Count > 0 && LockedBySuspended(site, state, lockOutput));
    }

    /// <summary>
    /// Whether a scenario taken over keeps <paramref name="lockOutput"/> locked: a suspended lockdown
    /// or shelter covering its zone (<see cref="SuspendedScenario"/>). A scenario no longer configured
    /// stands in for every zone: the safe side.
    /// </summary>
    internal static bool LockedBySuspended(SiteDefinition site, SiteState state, OutputDefinition lockOutput)
    {
        foreach (var suspended in state.Suspended)
        {
            if (suspended.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace
                && site.ScenarioOrStandIn(suspended.Info.Scenario, suspended.Mode).Covers(lockOutput.Zone))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The locks <see cref="LockedByPolicy"/> keeps locked in <paramref name="before"/> but not in
    /// <paramref name="after"/>, in the site's order: what a mode change releases.
    /// </summary>
    /// <remarks>
    /// Both sides are judged without a fire's release. That release is the same on both sides while
    /// it lasts, so it is never the change's; but it ends at the fire reset, and a lock the new mode
    /// leaves released stays released after that. A door's own release (exit button, delayed egress)
    /// that <paramref name="before"/> honours is left out too: a person at the door asked for it, and
    /// a change made during an exit button's few seconds must not pass for releasing nothing when it
    /// leaves that door released for good. One that only <paramref name="after"/> honours counts: a
    /// secure door latched open by delayed egress before a lockdown, which the lockdown holds locked
    /// and an evacuation would open again.
    /// </remarks>
    public static IReadOnlyList<string> LocksReleased(SiteDefinition site, SiteState before, SiteState after)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var from = before with { LifeSafety = LifeSafety.Normal };
        var to = after with { LifeSafety = LifeSafety.Normal };
        return [.. site.Outputs
            .Where(o => o.Kind == OutputKind.Lock && LockedByPolicy(site, from, o)
                && (!LockedByPolicy(site, to, o)
                    || (DoorSupervision.ReleasesLock(site, to, o) && !DoorSupervision.ReleasesLock(site, from, o))))
            .Select(o => o.Id)];
    }

    /// <inheritdoc/>
    public bool Equals(OutputPlan? other) =>
        other is not null && (ReferenceEquals(_outputs, other._outputs)
            ? _active.AsSpan().SequenceEqual(other._active)
            : Active.Count == other.Active.Count && Active.SequenceEqual(other.Active));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as OutputPlan);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (id, on) in Active)
        {
            hash.Add(id, StringComparer.Ordinal);
            hash.Add(on);
        }

        return hash.ToHashCode();
    }

    private ImmutableSortedDictionary<string, bool> ById()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, bool>(StringComparer.Ordinal);
        for (var i = 0; i < _active.Length; i++)
        {
            builder[_outputs[i].Id] = _active[i];
        }

        return builder.ToImmutable();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", Active.Select(kv => $"{kv.Key}={(kv.Value ? "on" : "off")}"));
}
