namespace EdgeGuard.Core.Site;

/// <summary>What an output drives.</summary>
public enum OutputKind
{
    /// <summary>A door lock relay (maglock, strike).</summary>
    Lock,
    /// <summary>A sounder.</summary>
    Siren,
    /// <summary>A visual beacon.</summary>
    Strobe,
    /// <summary>A status LED, e.g. the lockdown lamp at the guard post.</summary>
    Indicator,
}

/// <summary>What a lock does when its coil loses power.</summary>
public enum LockFailMode
{
    /// <summary>Unlocked without power (maglocks on egress doors).</summary>
    FailSafe,
    /// <summary>Locked without power (electric strikes on entry doors).</summary>
    FailSecure,
}

/// <summary>One configured output, validated.</summary>
/// <param name="Id">Stable id (e.g. <c>lock-lobby</c>).</param>
/// <param name="Kind">What the output drives.</param>
/// <param name="Line">GPIO line offset.</param>
/// <param name="ActiveHigh">True when driving the line high energises the relay.</param>
/// <param name="Zone">Zone the output belongs to; lockdown scope is chosen by zone.</param>
/// <param name="FailMode">Locks only: behaviour without power.</param>
/// <param name="Egress">Locks only: the door is on an escape route and must release in a fire.</param>
/// <param name="NormallyLocked">Locks only: state outside lockdown.</param>
public sealed record OutputDefinition(
    string Id,
    OutputKind Kind,
    int Line,
    bool ActiveHigh,
    string Zone,
    LockFailMode FailMode = LockFailMode.FailSafe,
    bool Egress = false,
    bool NormallyLocked = false)
{
    /// <summary>
    /// Whether the relay coil must be energised for the logical demand: for a lock "active" means
    /// locked, which needs power on a fail-safe lock and no power on a fail-secure one.
    /// </summary>
    public bool Energised(bool active) =>
        Kind == OutputKind.Lock && FailMode == LockFailMode.FailSecure ? !active : active;

    /// <summary>The electrical level that realises the logical demand.</summary>
    public bool LevelFor(bool active) => Energised(active) == ActiveHigh;

    /// <summary>
    /// Whether the logical demand unlocks an escape route: an egress lock not active (unlocked). Such
    /// writes go first in every pass over the outputs, so no other output's stall can hold them.
    /// </summary>
    public bool ReleasesEgress(bool active) => Kind == OutputKind.Lock && Egress && !active;

    /// <summary>
    /// Where the output's line lives when it is not a native GPIO line: an expander pin
    /// (<c>mcp23017@0x20:B0</c>); then <see cref="Line"/> is -1. Null (the default) for a native line.
    /// </summary>
    public string? LineAddress { get; init; }

    /// <summary>
    /// Egress locks only: people inside can leave without the gateway (a push-to-exit that cuts the
    /// lock's power, a lock that runs its own delayed egress), as the config's <c>hardwiredExit</c>
    /// declares. Without it the gateway is the only way out, so it releases the lock while it cannot
    /// read any of the door's exit buttons (<see cref="Lockdown.UnreadableExits"/>).
    /// </summary>
    public bool HardwiredExit { get; init; }
}
