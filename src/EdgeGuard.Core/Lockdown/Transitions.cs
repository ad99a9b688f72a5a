using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>What can move the site from one mode to another.</summary>
public enum Trigger
{
    /// <summary>A scenario's trigger point went active (a panic button for the built-in lockdown).</summary>
    ScenarioTriggered,
    /// <summary>A keyswitch turned.</summary>
    KeyswitchTurned,
    /// <summary>
    /// A fire input's leading edge, or a fire input found active at boot without a saved release.
    /// </summary>
    FireAlarmActive,
    /// <summary>
    /// A perimeter point went active in a zone armed at the current threat level, or was active when
    /// its zone became armed.
    /// </summary>
    PerimeterBreach,
    /// <summary>The second of two different supervisors' signed all-clear commands.</summary>
    OfficeAllClear,
    /// <summary>A signed drill-stop command from the office.</summary>
    OfficeDrillStop,
}

/// <summary>What is asking for a transition: the point, and for a trigger the scenario it starts.</summary>
/// <param name="PointId">The point that asked.</param>
/// <param name="Scenario">The scenario a trigger starts; null for a keyswitch release.</param>
/// <param name="Drill">Whether the trigger starts the scenario as a drill.</param>
public sealed record ModeRequest(string PointId, ScenarioDefinition? Scenario, bool Drill)
{
    /// <summary>
    /// The role of the office operator whose signed command asks; null for a point on site (a
    /// button or key somebody there operated), which the office's role rules do not apply to.
    /// </summary>
    public OperatorRole? OfficeRole { get; init; }
}

/// <summary>A guard on a mode transition: returns null to allow it, or the reason it is refused.</summary>
public delegate string? ModeGuard(SiteDefinition site, SiteState state, ModeRequest request);

/// <summary>A guard on a life-safety transition: returns null to allow it, or the reason it is refused.</summary>
public delegate string? TransitionGuard(SiteDefinition site, SiteState state, string pointId);

/// <summary>One row of the transition table.</summary>
/// <param name="From">Mode the row applies in.</param>
/// <param name="On">Trigger that fires it.</param>
/// <param name="To">Mode after the transition (for a trigger: the scenario's mode).</param>
/// <param name="Condition">Human-readable guard, shown in the generated diagram.</param>
/// <param name="Guard">Executable guard; null means always allowed.</param>
public sealed record Transition(SiteMode From, Trigger On, SiteMode To, string Condition, ModeGuard? Guard = null);

/// <summary>
/// The site's modes as a table. <see cref="SiteDecider"/> executes exactly these rows and
/// <see cref="StateDiagram"/> draws exactly these rows, so the diagram in docs cannot drift.
/// Every mode change needs a cause the config permits (a scenario's trigger or its releaser) or a
/// signed office command (a scenario, the two-supervisor all-clear, the end of a drill).
/// </summary>
public static class Transitions
{
    private const SiteMode Normal = SiteMode.Normal;
    private const SiteMode Lockdown = SiteMode.Lockdown;
    private const SiteMode Evacuation = SiteMode.Evacuation;
    private const SiteMode Shelter = SiteMode.ShelterInPlace;
    private const Trigger Triggered = Trigger.ScenarioTriggered;
    private const Trigger Key = Trigger.KeyswitchTurned;
    private const Trigger Breach = Trigger.PerimeterBreach;
    private const Trigger OfficeClear = Trigger.OfficeAllClear;
    private const Trigger DrillStop = Trigger.OfficeDrillStop;
    private const string DrillRunning = "signed drill-stop command, the running scenario is a drill";
    // "Latest alert": SiteState.ApprovalsValidFrom, moved by every alarm while a scenario runs (AlarmNews).
    private const string TwoSupervisors = "signed all-clears of two different supervisors within the window, both signed after the latest"
        + " alert, no panic or silent hold-up button held";

    private const string Takeover = "same scenario again (sirens again), a higher rank, or real over a drill; a real one taken over is suspended, its locks kept";
    // Computed from the output plan, whatever the two scenarios are: see TakesOverWithoutOpeningLocks.
    private const string KeepsLocks = Takeover
        + ", and over a real one an office command that would release a lock it keeps locked (by the output plan)"
        + " must be a supervisor's";
    // Any panic button, not only the running scenario's triggers: AuthorisedRelease says why.
    private const string Release = "releaser of the running scenario, no panic button held (anywhere) nor any of its triggers, none suspended";
    // A takeover suspends a real scenario (its locks hold); ending the one over it resumes it.
    private const string Resume = "releaser of the running scenario, no panic button held (anywhere) nor any of its triggers: the real one it took over runs again";

    /// <summary>Every allowed mode change.</summary>
    public static IReadOnlyList<Transition> Table { get; } =
    [
        //  from        trigger    to          condition
        new(Normal,     Triggered, Lockdown,   "trigger of a lockdown scenario (any panic button), or a signed office command"),
        new(Normal,     Triggered, Evacuation, "trigger of an evacuation scenario (a keyswitch: config refuses a panic button), or a signed office command"),
        new(Normal,     Triggered, Shelter,    "trigger of a shelter-in-place scenario, or a signed office command"),
        new(Normal,     Breach,    Lockdown,   "breach in an armed zone, at a threat level that locks down"),
        new(Lockdown,   Breach,    Lockdown,   "breach as above: " + Takeover, TakesOver),
        new(Evacuation, Breach,    Lockdown,   "breach as above: " + Takeover, TakesOver),
        new(Shelter,    Breach,    Lockdown,   "breach as above: " + Takeover, TakesOver),

        new(Lockdown,   Triggered, Lockdown,   KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Lockdown,   Triggered, Evacuation, KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Lockdown,   Triggered, Shelter,    KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Evacuation, Triggered, Evacuation, KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Evacuation, Triggered, Lockdown,   KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Evacuation, Triggered, Shelter,    KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Shelter,    Triggered, Shelter,    KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Shelter,    Triggered, Lockdown,   KeepsLocks, TakesOverWithoutOpeningLocks),
        new(Shelter,    Triggered, Evacuation, KeepsLocks, TakesOverWithoutOpeningLocks),

        new(Lockdown,   Key,       Normal,     Release, AuthorisedRelease),
        new(Evacuation, Key,       Normal,     Release, AuthorisedRelease),
        new(Shelter,    Key,       Normal,     Release, AuthorisedRelease),
        new(Lockdown,   Key,       Lockdown,   Resume, AuthorisedRelease),
        new(Lockdown,   Key,       Evacuation, Resume, AuthorisedRelease),
        new(Lockdown,   Key,       Shelter,    Resume, AuthorisedRelease),
        new(Evacuation, Key,       Lockdown,   Resume, AuthorisedRelease),
        new(Evacuation, Key,       Evacuation, Resume, AuthorisedRelease),
        new(Evacuation, Key,       Shelter,    Resume, AuthorisedRelease),
        new(Shelter,    Key,       Lockdown,   Resume, AuthorisedRelease),
        new(Shelter,    Key,       Evacuation, Resume, AuthorisedRelease),
        new(Shelter,    Key,       Shelter,    Resume, AuthorisedRelease),

        new(Lockdown,   OfficeClear, Normal,   TwoSupervisors, NoPanicHeld),
        new(Evacuation, OfficeClear, Normal,   TwoSupervisors, NoPanicHeld),
        new(Shelter,    OfficeClear, Normal,   TwoSupervisors, NoPanicHeld),

        // A drill is never suspended nor runs over a real one, so stopping it resumes nothing.
        new(Lockdown,   DrillStop, Normal,     DrillRunning, IsDrill),
        new(Evacuation, DrillStop, Normal,     DrillRunning, IsDrill),
        new(Shelter,    DrillStop, Normal,     DrillRunning, IsDrill),
    ];

    /// <summary>Why a start or takeover is refused in the current state, or null when the table allows it.</summary>
    public static string? TakeoverRefusal(SiteDefinition site, SiteState state, ModeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var row = Find(state.Mode, Trigger.ScenarioTriggered, request.Scenario!.Mode);
        return row is null ? $"no transition from {state.Mode} to {request.Scenario.Mode}" : row.Guard?.Invoke(site, state, request);
    }

    /// <summary>The row for a mode, trigger and target mode, or null when nothing happens.</summary>
    public static Transition? Find(SiteMode from, Trigger on, SiteMode? to = null) =>
        Table.FirstOrDefault(row => row.From == from && row.On == on && (to is null || row.To == to));

    /// <summary>The running scenario of <paramref name="state"/>, or null in normal mode.</summary>
    public static ScenarioDefinition? Running(SiteDefinition site, SiteState state) =>
        state.Lockdown is { } info && state.Mode != SiteMode.Normal ? site.ScenarioOrStandIn(info.Scenario, state.Mode) : null;

    private static string? TakesOver(SiteDefinition site, SiteState state, ModeRequest request)
    {
        var running = Running(site, state);
        var wanted = request.Scenario!;
        var runningDrill = state.Lockdown?.Drill ?? false;
        // Same id and mode: a stand-in of another mode under that id (SiteDefinition.ScenarioOrStandIn)
        // is another scenario, taken over by the rules below.
        if (running is null || (running.IsSame(wanted) && runningDrill == request.Drill))
        {
            return null; // same scenario again
        }

        if (request.Drill && !runningDrill)
        {
            return $"a drill cannot replace the real '{running.Id}'";
        }

        // A real alarm during a drill is real at once, whatever the ranks.
        return (runningDrill && !request.Drill) || wanted.Rank > running.Rank
            ? null
            : $"'{wanted.Id}' (rank {wanted.Rank}) does not outrank the running '{running.Id}' (rank {running.Rank})";
    }

    /// <summary>
    /// <see cref="TakesOver"/>, and over a real scenario an office command of any role but
    /// supervisor may not release a lock that scenario keeps locked: an evacuation opens the exits,
    /// a scoped lockdown or a shelter in place the locks outside its zones. Lifting a real scenario
    /// takes two supervisors; unlocking part of it from the office must not take less than one, or
    /// a single stolen or coerced guard key would let in whoever it keeps out. What is released is
    /// computed by the output plan, not listed per mode, so the rule cannot drift from the outputs.
    /// A trigger on site keeps the rank rule (somebody there operated it), and a drill is no
    /// protection to undo.
    /// </summary>
    private static string? TakesOverWithoutOpeningLocks(SiteDefinition site, SiteState state, ModeRequest request)
    {
        if (TakesOver(site, state, request) is { } refusal)
        {
            return refusal; // refused whoever sent it: that reason is the one to tell
        }

        // Any office role but a supervisor: a role added later does not inherit the right.
        if (request.OfficeRole is not { } role || role == OperatorRole.Supervisor
            || state.Lockdown is not { Drill: false } info || Running(site, state) is not { } running)
        {
            return null;
        }

        var wanted = request.Scenario!;
        var after = ModeChanges.WithScenario(state, wanted, info with { Scenario = wanted.Id, Drill = request.Drill });
        var released = OutputPlan.LocksReleased(site, state, after);
        return released.Count == 0
            ? null
            : $"a {OperatorRoles.Wire(role)} may not replace the real '{running.Id}' with '{wanted.Id}', which releases "
                + $"{Locks(released)}; a supervisor must send it";
    }

    // A few names are enough to tell the office what is at stake; the reason stays one short line.
    private static string Locks(IReadOnlyList<string> ids)
    {
        const int Named = 3;
        var names = string.Join(", ", ids.Take(Named).Select(id => $"'{id}'"));
        var more = ids.Count > Named ? $" and {ids.Count - Named} more" : "";
        return $"{(ids.Count == 1 ? "lock" : "locks")} {names}{more}";
    }

    // The office may end a drill at once, one operator alone: nobody is in danger. A real scenario
    // is lifted only by its releaser or the two-supervisor all-clear.
    private static string? IsDrill(SiteDefinition site, SiteState state, ModeRequest request) =>
        state.Lockdown is { Drill: true } ? null : "no drill is running";

    // The two approvals were counted by TwoPersonApproval; what is left is the rule every release keeps.
    // A held silent hold-up (duress) blocks it too: somebody is still under threat. The refusal
    // goes to the office alone, so it shows nothing on site; a keyswitch release is not refused
    // for it (AuthorisedRelease), since a key that stops working would tell whoever holds the guard.
    // A held trigger of the running scenario (a shelter's key still turned) does not block it, as it
    // blocks the releaser key: keyswitches cannot be bypassed, so a jammed or shorted trigger key
    // would leave a scenario nobody can end; the office's two supervisors are the way out
    // (SilentHoldUpAllClearTests).
    private static string? NoPanicHeld(SiteDefinition site, SiteState state, ModeRequest request)
    {
        var panic = site.Scenarios[0].Triggers.FirstOrDefault(state.IsActive);
        if (panic is not null)
        {
            return $"panic button '{panic}' is still active";
        }

        var holdUp = site.Points.FirstOrDefault(p => p is { Kind: PointKind.PanicButton, Silent: true } && state.IsActive(p.Id));
        return holdUp is null ? null : $"hold-up button '{holdUp.Id}' is still active";
    }

    private static string? AuthorisedRelease(SiteDefinition site, SiteState state, ModeRequest request)
    {
        var running = Running(site, state)!;
        if (!running.Releasers.Contains(request.PointId, StringComparer.Ordinal))
        {
            return $"keyswitch '{request.PointId}' is not authorised to end '{running.Id}'";
        }

        // A held panic button (whichever scenario it started, even one since taken over) or a held
        // trigger of this scenario means somebody is still in danger: ending would be wrong.
        var panic = site.Scenarios[0].Triggers.FirstOrDefault(state.IsActive);
        if (panic is not null)
        {
            return $"panic button '{panic}' is still active";
        }

        var held = running.Triggers.FirstOrDefault(state.IsActive);
        return held is null ? null : $"trigger '{held}' is still active";
    }
}
