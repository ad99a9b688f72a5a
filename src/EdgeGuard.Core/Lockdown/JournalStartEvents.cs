namespace EdgeGuard.Core.Lockdown;

// What the journal's start says when the gateway does not run on the journal its last run wrote:
// the file was damaged and replaced, or it could not be opened at all and the journal lives in RAM.
// Either way the new journal holds only what could be read from the old file (its safety state and
// the commands it had seen, JournalOpener.Seed.cs and .ReplaceSeed.cs), so a lockdown in force
// before may have been lost, and the office must be told (it re-issues it) rather than see a quiet
// gateway; the problem says what was read and what was not.

/// <summary>
/// The journal database could not be used as it was, so the gateway runs on a new one: the old
/// file was damaged (not a database, corrupt) and is kept, never deleted, at <see cref="KeptAt"/>
/// (with its <c>-wal</c> and <c>-shm</c>); events it had not delivered may be in it (a technician
/// exports it with <c>edgeguard journal export</c>). The new journal is seeded with what of its
/// safety state and the commands it had seen could still be read; <see cref="Problem"/> says what
/// could not (a lockdown in force before may then have been lost).
/// </summary>
/// <param name="At">When the gateway started on the new journal.</param>
/// <param name="Path">The journal's path, where the new journal now is.</param>
/// <param name="KeptAt">Where the old file is kept.</param>
/// <param name="Problem">What was wrong with it.</param>
public sealed record JournalReplaced(DateTimeOffset At, string Path, string KeptAt, string Problem) : DomainEvent(At)
{
    public override string Type => "fault.journal-replaced";
    public override Severity Severity => Severity.Critical;
}

/// <summary>
/// The journal database at <see cref="Path"/> could not be opened at boot (its directory cannot be
/// created or written, the card is full, the open hung), so the journal runs from
/// <see cref="FallbackPath"/> in a volatile directory: events and the safety state live in RAM
/// and are lost at power-off. It has no saved safety state: a lockdown in force before may have
/// been lost.
/// </summary>
/// <param name="At">When the gateway started on the volatile journal.</param>
/// <param name="Path">The journal database that could not be opened.</param>
/// <param name="FallbackPath">The volatile journal in use.</param>
/// <param name="Reason">Why it could not be opened.</param>
public sealed record JournalUnavailable(DateTimeOffset At, string Path, string FallbackPath, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.journal-unavailable";
    public override Severity Severity => Severity.Critical;
}
