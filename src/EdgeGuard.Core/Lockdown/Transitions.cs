using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>What can move the site from one mode to another.</summary>
public enum Trigger
{
    /// <summary>A panic button's leading edge.</summary>
    PanicPressed,
    /// <summary>A keyswitch turned.</summary>
    KeyswitchTurned,
    /// <summary>A fire input's leading edge, or a fire input found active at boot.</summary>
    FireAlarmActive,
}

/// <summary>
/// A guard on a transition: returns null to allow it, or the reason it is refused.
/// </summary>
public delegate string? TransitionGuard(SiteDefinition site, SiteState state, string pointId);

/// <summary>One row of the transition table.</summary>
/// <param name="From">Mode the row applies in.</param>
/// <param name="On">Trigger that fires it.</param>
/// <param name="To">Mode after the transition.</param>
/// <param name="Condition">Human-readable guard, shown in the generated diagram.</param>
/// <param name="Guard">Executable guard; null means always allowed.</param>
public sealed record Transition(SiteMode From, Trigger On, SiteMode To, string Condition, TransitionGuard? Guard = null);

/// <summary>
/// The lockdown state machine as a table. <see cref="SiteDecider"/> executes exactly these rows and
/// <see cref="StateDiagram"/> draws exactly these rows, so the diagram in docs cannot drift.
/// </summary>
public static class Transitions
{
    /// <summary>Every allowed mode change.</summary>
    public static IReadOnlyList<Transition> Table { get; } =
    [
        //  from               trigger                   to                 condition
        new(SiteMode.Normal,   Trigger.PanicPressed,     SiteMode.Lockdown, "any panic button"),
        new(SiteMode.Lockdown, Trigger.PanicPressed,     SiteMode.Lockdown, "siren sounds again"),
        new(SiteMode.Lockdown, Trigger.KeyswitchTurned,  SiteMode.Normal,   "authorised keyswitch, no panic button held", AuthorisedClear),
    ];

    /// <summary>The row for a mode and trigger, or null when the trigger does nothing in that mode.</summary>
    public static Transition? Find(SiteMode from, Trigger on)
    {
        foreach (var row in Table)
        {
            if (row.From == from && row.On == on)
            {
                return row;
            }
        }

        return null;
    }

    private static string? AuthorisedClear(SiteDefinition site, SiteState state, string pointId)
    {
        if (!site.Lockdown.ClearKeyswitches.Contains(pointId, StringComparer.Ordinal))
        {
            return $"keyswitch '{pointId}' is not authorised to clear a lockdown";
        }

        // A latched panic button means somebody is still in danger: clearing would be undone at once.
        var held = site.Points.FirstOrDefault(p => p.Kind == PointKind.PanicButton && state.IsActive(p.Id));
        return held is null ? null : $"panic button '{held.Id}' is still active";
    }
}
