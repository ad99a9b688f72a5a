using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The life-safety overlay, orthogonal to <see cref="SiteMode"/>: a fire releases every egress lock
/// whatever the mode (lockdown included) and keeps them released until a person resets it.
/// </summary>
public enum LifeSafety
{
    /// <summary>No fire: egress locks follow the mode.</summary>
    Normal,
    /// <summary>A fire input was active: every egress lock is released until a manual reset.</summary>
    FireEgressReleased,
}

/// <summary>One row of the life-safety table.</summary>
/// <param name="From">State the row applies in.</param>
/// <param name="On">Trigger that fires it.</param>
/// <param name="To">State after the transition.</param>
/// <param name="Condition">Human-readable guard, shown in the generated diagram.</param>
/// <param name="Guard">Executable guard; null means always allowed.</param>
public sealed record LifeSafetyTransition(LifeSafety From, Trigger On, LifeSafety To, string Condition, TransitionGuard? Guard = null);

/// <summary>
/// The fire overlay as a table, executed by <see cref="SiteDecider"/> and drawn by
/// <see cref="StateDiagram"/>. Relocking is never automatic: a fire panel that restores may have
/// been silenced, not cleared, and the people inside must still be able to leave.
/// </summary>
public static class LifeSafetyTransitions
{
    /// <summary>Every allowed life-safety change.</summary>
    public static IReadOnlyList<LifeSafetyTransition> Table { get; } =
    [
        //  from                           trigger                   to                             condition
        new(LifeSafety.Normal,             Trigger.FireAlarmActive,  LifeSafety.FireEgressReleased, "any fire input, in any mode"),
        // A second fire (another zone's input) before anybody reset the first release is news for
        // the office: fire.alarm again, egress stays released. Once per input and release: fire
        // inputs are never held back for chatter, so a loose terminal would raise a critical alarm
        // at every bounce; its input's first alarm already said the panel is in alarm.
        new(LifeSafety.FireEgressReleased, Trigger.FireAlarmActive,  LifeSafety.FireEgressReleased, "leading edge of a fire input not raised under this release: fire.alarm, still released", NotRaisedUnderThisRelease),
        new(LifeSafety.FireEgressReleased, Trigger.KeyswitchTurned,  LifeSafety.Normal,             "fire-reset keyswitch, no fire input active", AuthorisedReset),
    ];

    /// <summary>The row for a state and trigger, or null when the trigger does nothing there.</summary>
    public static LifeSafetyTransition? Find(LifeSafety from, Trigger on) =>
        Table.FirstOrDefault(row => row.From == from && row.On == on);

    private static string? NotRaisedUnderThisRelease(SiteDefinition site, SiteState state, string pointId) =>
        state.FireRaised.Contains(pointId) ? $"fire input '{pointId}' raised fire.alarm under this release already" : null;

    private static string? AuthorisedReset(SiteDefinition site, SiteState state, string pointId)
    {
        if (!site.FireReset.FireResetKeyswitches.Contains(pointId, StringComparer.Ordinal))
        {
            return $"keyswitch '{pointId}' is not authorised to reset the fire release";
        }

        var burning = site.Points.FirstOrDefault(p => p.Kind == PointKind.FireAlarm && state.IsActive(p.Id));
        return burning is null ? null : $"fire input '{burning.Id}' is still active";
    }
}
