namespace EdgeGuard.Core.Site;

/// <summary>What an input point is in the building.</summary>
public enum PointKind
{
    /// <summary>Reed contact on a door: active = door open.</summary>
    DoorContact,
    /// <summary>Fence, window or beam sensor on the perimeter: active = breach.</summary>
    Perimeter,
    /// <summary>Hold-up / panic button: active = pressed. Acts on the leading edge.</summary>
    PanicButton,
    /// <summary>Enclosure tamper switch: active = enclosure open.</summary>
    Tamper,
    /// <summary>Guard's key switch: active = key turned.</summary>
    Keyswitch,
    /// <summary>Request-to-exit button or sensor on the secure side of a door.</summary>
    RequestToExit,
    /// <summary>
    /// Relay contact from the building's fire alarm panel: active = fire. Releases every egress lock
    /// in any mode and keeps them released until a manual reset. Acts on the leading edge.
    /// </summary>
    FireAlarm,
    /// <summary>
    /// Lock status contact (a maglock's bond sensor, a strike's latch monitor): active = the lock
    /// holds the door. Judged against what the lock should do (<see cref="Lockdown.LockMonitoring"/>).
    /// </summary>
    LockMonitor,
    /// <summary>
    /// A power supply's trouble contact (mains lost, battery low, charger failed): active = trouble.
    /// Reported as an alarm (Contact ID 301 "AC loss"): the locks and the gateway run on the battery,
    /// for hours at best, and a maglock's battery running flat unlocks its door.
    /// </summary>
    PowerTrouble,
}

/// <summary>Internal pull resistor to enable on an input line.</summary>
public enum LinePull
{
    None,
    Up,
    Down,
}

/// <summary>One configured input point, validated.</summary>
/// <param name="Id">Stable id used in events, topics and the simulator (e.g. <c>panic-lobby</c>).</param>
/// <param name="Kind">What the point is.</param>
/// <param name="Line">GPIO line offset on the configured chip.</param>
/// <param name="ActiveHigh">True when a high electrical level means the point is active.</param>
/// <param name="Pull">Bias resistor for the line.</param>
/// <param name="Debounce">How long a level must hold (contacts) or the lock-out after a leading edge (panic buttons).</param>
/// <param name="Zone">Zone the point belongs to.</param>
public sealed record PointDefinition(
    string Id,
    PointKind Kind,
    int Line,
    bool ActiveHigh,
    LinePull Pull,
    TimeSpan Debounce,
    string Zone)
{
    /// <summary>Translates an electrical level into the point's logical state.</summary>
    public bool IsActive(bool high) => high == ActiveHigh;

    /// <summary>The electrical level that represents <paramref name="active"/>.</summary>
    public bool LevelFor(bool active) => active == ActiveHigh;

    /// <summary>
    /// A silent hold-up (duress) button: reported to the office only, never sounding or locking
    /// anything locally. Panic buttons only.
    /// </summary>
    public bool Silent { get; init; }

    /// <summary>
    /// Whether the point may rest active: a lock monitor reads active while its lock holds the door, so
    /// found active (at a boot, at a walk test's start) it is at rest, not in alarm nor wired inverted.
    /// </summary>
    public bool MayRestActive => Kind == PointKind.LockMonitor;

    /// <summary>
    /// Whether the office may bypass the point (take it out of service for a while): door contacts,
    /// perimeter sensors, tamper switches, lock monitors and power trouble contacts (a broken one reports
    /// for ever). Never a panic button (a person in danger), a fire input
    /// or a request to exit (people leaving), nor a keyswitch (the local way to end a scenario).
    /// </summary>
    public bool CanBeBypassed => Kind is PointKind.DoorContact or PointKind.Perimeter or PointKind.Tamper or PointKind.LockMonitor or PointKind.PowerTrouble;

    /// <summary>Panic buttons and fire inputs act on the leading edge so their debounce adds no delay.</summary>
    public bool ActsOnLeadingEdge => Kind is PointKind.PanicButton or PointKind.FireAlarm;

    /// <summary>
    /// Whether an activation counts at once even inside the lock-out that follows the point's last
    /// report: fire inputs. A panel that alarms again within the lock-out of its release (up to the
    /// fire input's debounce, configurable to seconds) must be seen at once: a fire reset turned
    /// then would otherwise be accepted and relock egress doors during a fire. The cost is on the
    /// safe side: bounce on a fire input's release can report it active again. A panic button's
    /// press counts inside the lock-out only once it has held <c>PointFilter.LockoutPressConfirm</c>,
    /// so that bounce on its release is never a second panic.
    /// </summary>
    public bool ActivationOverridesLockout => Kind is PointKind.FireAlarm;

    /// <summary>
    /// Where the point's line lives when it is not a native GPIO line: an expander pin
    /// (<c>mcp23017@0x20:A3</c>) or a supervised loop on an ADC channel (<c>mcp3008@0.0:CH2</c>); then
    /// <see cref="Line"/> is -1. Null (the default) for a line on the gateway's own GPIO chip.
    /// </summary>
    public string? LineAddress { get; init; }

    /// <summary>
    /// Optional stuck-point watchdog: a point that stays in either state this long is reported once
    /// (<c>fault.point-stuck</c>). Null (the default) watches nothing.
    /// </summary>
    public TimeSpan? StuckAfter { get; init; }

    /// <summary>
    /// Panic, fire and request-to-exit inputs are never suppressed for chatter: a flapping fire input
    /// must still release egress, a flapping panic button may be a person in danger with a bad wire,
    /// and somebody pressing an exit button again and again is trying to get out.
    /// </summary>
    public bool MayBeSuppressed => Kind is not (PointKind.PanicButton or PointKind.FireAlarm or PointKind.RequestToExit);
}
