using EdgeGuard.Core.Ports;

namespace EdgeGuard.Journal;

// Records the publisher was handed that will never be in SQLite: a batch handed out before a
// commit that failed, and what a failed commit hands out from memory (EventJournal.FromMemory.cs).
// Their seqs are skipped and declared by journal.gap, so SQLite has nothing at them, and the tail
// keeps only the newest TailCapacity records. With the office link down through such an episode
// and after it, 8,192 more events pushed them out of the tail before the publisher read them: a
// lockdown handed out from memory then reached the office only as a seq its gap declared skipped.
//
// So each one is pinned here when its seq is skipped (SkipFailed), while it is still in the tail
// (nothing uncommitted is ever evicted from it), and kept until the delivery cursor
// (DeliveredThrough: MarkDelivered, or a commit that carries the acknowledged prefix) reaches it.
// ReadAfter merges the pinned records below the tail with what SQLite returns; FindById looks
// here after the tail. Nothing else changes: Undelivered() and retention go on leaving skipped
// seqs out, because these records take no disk, and after a restart they are gone by design
// (their seqs stay declared by the write-failed gap, or by the next start's unclean-shutdown gap
// if no commit succeeded first).
//
// Memory is bounded by PinCapacity: a batch is handed out before its commit only while the pinned
// records and every seq from the last commit through that batch fit in it (so a failed commit can
// always pin what it handed out), and a failed commit hands out from memory only what still fits.
// What does not is dropped and counted like any other dropped event, and the host is told once per
// episode. The pinned records outlive the tail only while the office has not acknowledged them,
// when early hand-out saves the office no time anyway.
public sealed partial class EventJournal
{
    /// <summary>
    /// Most records pinned at once (a test lowers it); the records in memory are then at most
    /// twice the tail.
    /// </summary>
    internal int PinCapacity { get; set; } = TailCapacity;

    /// <summary>Records pinned now (for tests).</summary>
    internal int PinnedCount => Volatile.Read(ref _pinnedCount);

    /// <summary>
    /// Called inside <see cref="Pin"/> right after it has read the delivery cursor, under the
    /// tail's lock, with that cursor: lets a test move the cursor in exactly that window. Null in
    /// production.
    /// </summary>
    internal Action<long>? AfterPinReadsCursor { get; set; }

    // Seq order (skipped ranges only grow), under _tailGate; the count is also read without it.
    private readonly List<JournalRecord> _pinned = [];
    private int _pinnedCount;

    // Whether a batch ending at last may be handed out before its commit: if the commit fails,
    // every seq since the last commit may have to be pinned. Conservative after a failure (seqs
    // already pinned count twice), when nothing is handed out early anyway. Caller holds
    // _appendGate.
    private bool PinRoomFor(long last) => Volatile.Read(ref _pinnedCount) + (last - DurableSeq) <= PinCapacity;

    // How many more records a failed commit may hand out from memory.
    private int PinRoom() => Math.Max(0, PinCapacity - Volatile.Read(ref _pinnedCount));

    // The announced records from..through will never be in SQLite: keep the undelivered ones
    // until they are. They are all still in the tail. Caller holds _appendGate.
    private void Pin(long from, long through)
    {
        lock (_tailGate)
        {
            // Read under _tailGate: a cursor that moves now releases what is pinned here after it.
            var delivered = DeliveredThrough;
            AfterPinReadsCursor?.Invoke(delivered);
            var start = Math.Max(Math.Max(from, delivered + 1), _tailFirst);
            var end = Math.Min(through, _tailFirst + _tailCount - 1);
            for (var seq = start; seq <= end; seq++)
            {
                if (_tail[(int)(seq % TailCapacity)] is { } record && record.Seq == seq)
                {
                    _pinned.Add(record);
                }
            }

            // The cursor may have moved since it was read, and ReleasePinned, which reads the count
            // without this lock, may have found nothing pinned then and left. So the count is
            // published with a full fence and the cursor read again: either that release sees the
            // count (and waits for this lock), or this sees its cursor (AdvanceDelivered's CAS is
            // a full fence too). A Volatile.Write then Volatile.Read could be reordered.
            Interlocked.Exchange(ref _pinnedCount, _pinned.Count);
            DropDelivered(DeliveredThrough);
        }
    }

    // The office has acknowledged everything through delivered: its pinned records may go. The
    // count is read without the lock, on the path of every acknowledgement; Pin looks at the
    // cursor again after publishing its count, so a release that finds 0 here misses nothing.
    private void ReleasePinned(long delivered)
    {
        if (Volatile.Read(ref _pinnedCount) == 0)
        {
            return;
        }

        lock (_tailGate)
        {
            DropDelivered(delivered);
        }
    }

    // The pinned records through delivered go. Caller holds _tailGate.
    private void DropDelivered(long delivered)
    {
        var count = 0;
        while (count < _pinned.Count && _pinned[count].Seq <= delivered)
        {
            count++;
        }

        if (count > 0)
        {
            _pinned.RemoveRange(0, count);
            Volatile.Write(ref _pinnedCount, _pinned.Count);
        }
    }

    // Pinned records with from <= seq <= through, at most max, oldest first; null when there are
    // none. Caller holds _tailGate.
    private List<JournalRecord>? PinnedIn(long from, long through, int max)
    {
        List<JournalRecord>? found = null;
        foreach (var record in _pinned)
        {
            if (record.Seq > through || found?.Count >= max)
            {
                break;
            }

            if (record.Seq >= from)
            {
                (found ??= []).Add(record);
            }
        }

        return found;
    }

    // A pinned record with this id (FindById's last resort, after the tail). Caller holds
    // _tailGate.
    private JournalRecord? FindPinned(Guid id) => _pinned.Find(record => record.Id == id);

    // The first max records of two seq-ordered lists. The same seq in both cannot happen (a pinned
    // seq was skipped); if it ever did, the stored row wins, so no seq is returned twice.
    private static List<JournalRecord> Merge(IReadOnlyList<JournalRecord> stored, List<JournalRecord> pinned, int max)
    {
        var merged = new List<JournalRecord>(Math.Min(max, stored.Count + pinned.Count));
        int s = 0, p = 0;
        while (merged.Count < max && (s < stored.Count || p < pinned.Count))
        {
            if (p == pinned.Count || (s < stored.Count && stored[s].Seq <= pinned[p].Seq))
            {
                if (p < pinned.Count && stored[s].Seq == pinned[p].Seq)
                {
                    p++;
                }

                merged.Add(stored[s++]);
            }
            else
            {
                merged.Add(pinned[p++]);
            }
        }

        return merged;
    }
}
