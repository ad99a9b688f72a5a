namespace EdgeGuard.Core.Lockdown;

/// <summary>Something the controller decides on. Commands from the office join later as another kind.</summary>
public abstract record SiteInput;

/// <summary>A point's filtered state changed.</summary>
public sealed record PointChanged(string PointId, bool Active) : SiteInput;

/// <summary>
/// The points whose changes supervision now withholds from the decider (chatter), all of them:
/// their state here is frozen at the last change it let through, so no door timer may run on it
/// (<see cref="DoorSupervision.OnSuppressed"/>).
/// </summary>
public sealed record PointsSuppressed(System.Collections.Immutable.ImmutableSortedSet<string> Points) : SiteInput
{
    /// <summary>
    /// The points with <c>fault.chatter</c> raised whose changes still act (panic, fire,
    /// request-to-exit), all of them: a chattering panic button retriggers the running scenario
    /// at most once per episode (<see cref="SiteState.RetriggeredWhileChattering"/>).
    /// </summary>
    public System.Collections.Immutable.ImmutableSortedSet<string> Chattering { get; init; } =
        System.Collections.Immutable.ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
}

/// <summary>
/// The input points the gateway cannot read now, all of them: a loop cut or bridged
/// (<see cref="EolTamperDetected"/>), a chip that does not answer or a line that could not be read
/// (<see cref="HardwareFault.Points"/>). Each reads its fail-safe level meanwhile
/// (<see cref="TamperedLoop"/>); an egress door none of whose exit buttons can be read is released
/// (<see cref="UnreadableExits"/>).
/// </summary>
public sealed record PointsUnreadable(System.Collections.Immutable.ImmutableSortedSet<string> Points) : SiteInput;

/// <summary>Time passed: timers (siren) are checked.</summary>
public sealed record TimerTick : SiteInput
{
    /// <summary>The one tick value; it carries no data because time comes with every decision.</summary>
    public static TimerTick Instance { get; } = new();
}

/// <summary>
/// The inputs have settled after boot and their state is known. Boot transients (over by then) raise
/// nothing; two inputs still active are acted on, safety before quiet: a fire input releases egress,
/// and a panic button (a latching one held through a restart) counts as pressed.
/// </summary>
public sealed record InputsSettled : SiteInput
{
    /// <summary>The one value; the settled levels are already in the state's points.</summary>
    public static InputsSettled Instance { get; } = new();
}

/// <summary>
/// An operator's key is no longer trusted (its file was removed or spoilt: a stolen key revoked;
/// or replaced by a new key: a rotation, whose old key may be the stolen one). An all-clear
/// approval they gave is withdrawn with it: the two-person rule must not be completed by an
/// approval signed with a key the gateway no longer trusts.
/// </summary>
public sealed record OperatorKeyWithdrawn(string Operator) : SiteInput;

/// <summary>A signed office command that passed verification (signature, role, expiry, replay).</summary>
public sealed record OfficeCommandInput(Commands.VerifiedCommand Command) : SiteInput
{
    /// <summary>
    /// For an <c>acknowledge</c>: the journaled event its <c>event_id</c> names, looked up before the
    /// command entered the loop (the decider does no I/O); null when the journal has no such event.
    /// </summary>
    public JournaledAlarm? Acknowledged { get; init; }
}

/// <summary>What the journal holds about an event the office acknowledges.</summary>
/// <param name="Id">The event's id.</param>
/// <param name="Type">Its type, e.g. <c>lockdown.started</c>.</param>
/// <param name="At">When it happened (the event's own timestamp).</param>
/// <param name="Severity">Its severity: only alarm and critical events can be acknowledged.</param>
/// <param name="Point">The point it is about, if any.</param>
/// <param name="Drill">Whether it was a drill event (the acknowledgement is flagged the same).</param>
public sealed record JournaledAlarm(Guid Id, string Type, DateTimeOffset At, Severity Severity, string? Point, bool Drill = false)
{
    /// <summary>
    /// For a <c>&lt;mode&gt;.started</c> or <c>&lt;mode&gt;.retriggered</c> (or a refusal that
    /// sounded the siren again): true when the journal holds no later such alert of that mode, so
    /// it is the alert the siren sounds for. An acknowledgement silences the siren only when this
    /// is true: the journal's order, not the alerts' wall-clock stamps, tells the latest (a clock
    /// stepped back stamps a newer press before an older one). False when not known.
    /// </summary>
    public bool LatestStartOrRetrigger { get; init; }

    /// <summary>
    /// For a <c>lockdown.start-refused</c>: whether the refusal sounded the siren again (its data's
    /// <c>sirenRestarted</c>); a refusal that did not is no alert the siren sounds for.
    /// </summary>
    public bool SirenRestarted { get; init; }
}
