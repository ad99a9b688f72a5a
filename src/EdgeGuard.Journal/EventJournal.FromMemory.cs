using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Journal;

// What the office hears while SQLite cannot write because the disk is full (SQLITE_FULL), a
// write() fails (SQLITE_IOERR_WRITE: EROFS once the kernel has remounted a card that reports
// errors read-only while the gateway runs, or EIO) or SQLite itself refuses to write
// (SQLITE_READONLY); not for a failed fsync or an I/O error that does not say which call failed
// (see NothingWasWritten). The controller goes on protecting the site, but every commit fails,
// and in a full or failing episode nothing is handed out before its commit (EventJournal.Writer.cs,
// Sequence). Before this, a lockdown started then was dropped like a door contact,
// fault.journal-full reached only the host's log and LastSeq never moved: the office saw a
// healthy, quiet, online gateway while the site was in lockdown.
//
// So when a commit fails, the records of its batch that the full policy keeps (KeptWhileFull:
// critical events, lockdown clears, fire resets, authenticated commands, resend.ended; among them
// the episode's fault.journal-full, once per episode) are handed to the publisher from memory: put
// in the tail and announced, under the next seqs, exactly as a batch handed out before a commit
// that then failed. Their seqs are skipped (SkipFailed), never reused, and declared by the
// write-failed journal.gap the first successful commit opens with, or, if the gateway stops first,
// by the unclean-shutdown gap of the next start (the stop cannot give back a reservation with a
// skipped range undeclared). They count as dropped, like the rest of their batch: they are not in
// the file.
//
// Only under seqs inside the durable reservation (gateway_meta.reserved_through), as for every
// hand-out before a commit: that is what keeps a seq the office has seen from ever being given to
// another event after a restart. They are pinned until the office acknowledges them, so they do
// not fall out of the tail with the link down (EventJournal.Pinned.cs); memory is bounded by
// PinCapacity. When the reservation is used up (thousands of kept events with no successful
// commit), or the pinned records fill PinCapacity, the rest are dropped and counted like any
// other, and the host is told once per episode. With no reservation at all (the disk failed
// before the first commit after a start) nothing can be handed out: the host's log and the
// systemd watchdog are what is left.
public sealed partial class EventJournal
{
    // Under _appendGate, both reset when an episode ends (EpisodeEnded). Whether this episode's
    // fault has reached the publisher: every retry plans it again until it is journaled, and the
    // office needs it once. Whether the host was told that the reservation or the pins ran out.
    private bool _faultHandedOut;
    private bool _noRoomReported;

    // Under _appendGate, reset with the two above: office command records handed out from memory in
    // this episode, at most JournalLimits.OfficeShare of them (IsOfficeRecord), so a signed command
    // sent in a loop while every commit fails cannot use up the reservation a lockdown needs.
    private int _officeHandedOut;

    // Under _appendGate, reset with the ones above: the last write failure told to the host in
    // this episode (EventJournal.FullPolicy.cs, ReportWriteFailure).
    private string? _writeFailureReported;

    // A commit of batch, sequenced from plan (the same order, a pending gap row first) and not
    // handed out before it, failed: what the office must not miss goes to the publisher from
    // memory. Returns the signal to complete once no lock is held. Caller holds _appendGate.
    private TaskCompletionSource? HandOutFromMemory(List<Pending> plan, SequencedBatch batch)
    {
        if (batch.HandedOut)
        {
            return null; // already with the publisher, all of it
        }

        List<(JournalRecord Record, bool Fault, bool Office)>? kept = null;
        var officeRoom = JournalLimits.OfficeShare - _officeHandedOut;
        for (var i = 0; i < plan.Count; i++)
        {
            var domainEvent = plan[i].Event;
            var fault = domainEvent is JournalFull;
            var office = !fault && IsOfficeRecord(domainEvent);
            if (office && officeRoom <= 0)
            {
                continue; // dropped and counted with the rest of its batch
            }

            if (fault ? !_faultHandedOut : KeptWhileFull(domainEvent))
            {
                (kept ??= []).Add((batch.Records[i], fault, office));
                officeRoom -= office ? 1 : 0;
            }
        }

        if (kept is null)
        {
            return null;
        }

        // The failed batch took no seqs (_nextSeq did not move): the kept records get the next
        // ones, after everything announced, with the ids and times they were given. Only as many
        // as the reservation has seqs for and the pinned records have room for (they stay in
        // memory until delivered: EventJournal.Pinned.cs).
        var first = _nextSeq;
        var inReservation = (int)Math.Clamp(_reserved - first + 1, 0, kept.Count);
        var fit = Math.Min(inReservation, PinRoom());
        if (fit < kept.Count)
        {
            NoRoomFromMemory(kept.Count - fit, pinsFull: fit < inReservation);
        }

        if (fit == 0)
        {
            return null;
        }

        var records = new JournalRecord[fit];
        for (var i = 0; i < fit; i++)
        {
            records[i] = kept[i].Record with { Seq = first + i };
            _faultHandedOut |= kept[i].Fault;
            _officeHandedOut += kept[i].Office ? 1 : 0;
        }

        var signal = Announce(records);
        SkipFailed(first, first + fit - 1);
        return signal;
    }

    // Only a failure that certainly left no commit in the file: a full disk (SQLITE_FULL), a
    // connection SQLite will not let write (SQLITE_READONLY), or a write() that failed
    // (SQLITE_IOERR_WRITE, extended 778: EROFS from a card the kernel remounted read-only while
    // running, or EIO). In WAL mode a commit is the frames written in order, the commit frame last,
    // then the fsync (synchronous=FULL); the default powersafe-overwrite leaves no padding frames
    // after it. A failed write therefore means the commit frame never fully landed, and a commit
    // frame that is not whole fails its checksum: the next start's WAL recovery drops the
    // transaction. Only what comes after the commit frame can fail with the commit already in the
    // file: the fsync (SQLITE_IOERR_FSYNC), whose frames may sit in the page cache and reach the
    // card later, and come back at the next start under the very seqs a hand-out from memory
    // would reuse: two events at one seq. So that one stays out, and so does an I/O error that
    // does not say which call failed (plain SQLITE_IOERR, and the rest of the family): those
    // episodes reach only the host's log.
    private static bool NothingWasWritten(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.Data.Sqlite.SqliteException sqlite)
            {
                return SqliteCodes.Primary(sqlite) is SqliteCodes.Full or SqliteCodes.ReadOnly
                    || SqliteCodes.Extended(sqlite) == SqliteCodes.IoErrorWrite;
            }
        }

        return false;
    }

    // The reservation is used up, or the records handed out from memory that the office has not
    // acknowledged fill PinCapacity, while commits fail: kept events are dropped (counted) from
    // now on until a commit succeeds (or, for the pins, the office acknowledges). The host hears
    // it once per episode.
    private void NoRoomFromMemory(int events, bool pinsFull)
    {
        if (_noRoomReported)
        {
            return;
        }

        _noRoomReported = true;
        var why = _database.IsReadOnly
            ? "its storage has been read-only since the start, so no commit of this run reserved seqs (a seq handed out from memory could be reused after the next start)"
            : pinsFull
                ? string.Create(CultureInfo.InvariantCulture, $"holds {PinCapacity} records the office has not acknowledged that exist only in memory, as many as it keeps")
                : string.Create(CultureInfo.InvariantCulture, $"has handed every seq of its durable reservation (through {_reserved}) to the publisher from memory");
        Report(JournalException.For(_database.Path, string.Create(
            CultureInfo.InvariantCulture,
            $"the journal cannot write and {why}: {events} kept event(s) (critical ones, lockdown clears, fire resets) and any after them are dropped and counted, not sent, until a commit succeeds.")));
    }

    // A commit succeeded with the episode over (EventJournal.FullPolicy.cs, Committed).
    private void EpisodeEnded()
    {
        _faultHandedOut = false;
        _noRoomReported = false;
        _officeHandedOut = 0;
        _writeFailureReported = null;
    }
}
