namespace EdgeGuard.Core.Site;

/// <summary>
/// A door as access control sees it: the lock that holds it, the contact that says whether it is
/// open, and the request-to-exit inputs on its secure side. Supervision (forced, held open) and
/// egress (request-to-exit, delayed egress) are decided from these together.
/// </summary>
/// <param name="Id">Door id (used in events).</param>
/// <param name="LockId">The lock output holding the door.</param>
/// <param name="ContactPoint">The door-contact point; null when the door has none (no supervision).</param>
/// <param name="RequestToExit">Request-to-exit points that release the door.</param>
/// <param name="HeldOpen">How long the door may stay open before <c>door.held-open</c>.</param>
/// <param name="Release">How long a request to exit releases the lock.</param>
/// <param name="DelayedEgress">
/// When set (15–30 s), a request to exit while the door is locked starts this irreversible delay with
/// the local alarm sounding; then the door is released until a person relocks it. The config allows
/// it only on an egress lock: an exit's lock must release in a fire (NFPA 101 7.2.1.6.1).
/// </param>
/// <param name="LocalAlarm">The sounder at the door for delayed egress, if any.</param>
/// <param name="RelockKeyswitches">Keyswitch points that relock the door after delayed egress.</param>
public sealed record DoorDefinition(
    string Id,
    string LockId,
    string? ContactPoint,
    IReadOnlyList<string> RequestToExit,
    TimeSpan HeldOpen,
    TimeSpan Release,
    TimeSpan? DelayedEgress = null,
    string? LocalAlarm = null,
    IReadOnlyList<string>? RelockKeyswitches = null)
{
    /// <summary>Keyswitches that relock after delayed egress (none when not configured).</summary>
    public IReadOnlyList<string> Relock => RelockKeyswitches ?? [];

    /// <summary>
    /// The lock's status contact (a <see cref="PointKind.LockMonitor"/> point), if wired: whether the
    /// lock holds the door, judged against what it should do (<see cref="Lockdown.LockMonitoring"/>).
    /// </summary>
    public string? LockMonitor { get; init; }
}
