using System.Globalization;
using System.Text.Json;

namespace EdgeGuard.Journal;

/// <summary>
/// Walks a journal's hash chain and reports every problem with the seq where it is: an edited
/// row, deleted rows, rows reordered or with swapped contents, newest rows cut off, an anchor or
/// head that does not fit the table. See the journal README for what it cannot detect.
/// </summary>
public static class JournalVerifier
{
    /// <summary>Problems listed in full; beyond this they are only counted (a wholesale rewrite is one finding, not a million lines).</summary>
    public const int MaxListedProblems = 10_000;

    // Rows with a bad hash kept to look for where they came from (reordering); the search is
    // quadratic in them, and a handful of moved rows is what it explains.
    private const int MaxSuspects = 256;

    /// <summary>Verifies the journal <paramref name="reader"/> has open, in one consistent snapshot.</summary>
    /// <param name="reader">A read-only journal.</param>
    /// <param name="officeLastSeq">
    /// Optional: the highest seq the office has received. Deleting the newest rows together with
    /// <c>gateway_meta</c> leaves nothing on the gateway to notice; the office's count does.
    /// </param>
    /// <returns>What was checked and every problem found.</returns>
    /// <exception cref="JournalException">The file could not be read.</exception>
    public static JournalVerification Verify(JournalReader reader, long? officeLastSeq = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.InSnapshot(r => Walk(r, officeLastSeq));
    }

    private static JournalVerification Walk(JournalReader reader, long? officeLastSeq)
    {
        var meta = reader.ReadMeta();
        var chain = new JournalChain();
        var found = new Findings();
        var suspects = new List<StoredEvent>();
        var missing = new List<long>();

        if (meta.AnchorHash is not { Length: JournalChain.HashLength })
        {
            found.Add(JournalProblemKind.Anchor, meta.AnchorSeq, null, $"gateway_meta.chain_anchor_hash is {Describe(meta.AnchorHash)}, not a 32-byte hash: the anchor was altered.");
        }

        if (meta.AnchorSeq < meta.ChainStart - 1)
        {
            found.Add(JournalProblemKind.Anchor, meta.AnchorSeq, null, Inv($"gateway_meta.chain_anchor_seq {meta.AnchorSeq} is before the chain's start ({meta.ChainStart}): the anchor was altered."));
        }
        else if (meta.AnchorSeq > meta.ChainStart - 1 && meta.AnchorSeq > meta.DeliveredThrough)
        {
            // Retention only deletes delivered rows, so only it can move the anchor, and never past the cursor.
            found.Add(JournalProblemKind.Anchor, meta.AnchorSeq, null, Inv($"the anchor says rows through seq {meta.AnchorSeq} were deleted, but only rows through {meta.DeliveredThrough} were delivered and retention deletes nothing else: rows were deleted and the anchor rewritten."));
        }

        long entries = 0;
        long unchained = 0;
        long? first = null;
        long? previousSeq = null;
        var expectedSeq = meta.AnchorSeq + 1;
        var expectedPrev = meta.AnchorHash;
        foreach (var stored in reader.ReadFrom(long.MinValue))
        {
            var seq = stored.Row.Seq;
            entries++;
            first ??= seq;
            if (seq < meta.ChainStart)
            {
                // Written before the upgrade that started the chain: nothing vouches for them.
                unchained++;
                continue;
            }

            if (seq <= meta.AnchorSeq)
            {
                found.Add(JournalProblemKind.Anchor, seq, null, Inv($"seq {seq} is still in the table, but the anchor says retention deleted every row through seq {meta.AnchorSeq}: the anchor was altered."));
                continue;
            }

            // Seqs are never reused, so the journal skips those it may have published but could not
            // keep (a crash during a commit, a failed commit) and says so in a journal.gap row that
            // chains on from the row before: such a jump is declared, not a deletion.
            var gap = seq > expectedSeq;
            var declared = gap && DeclaresGap(stored.Row, expectedSeq);
            if (gap && !declared)
            {
                var where = previousSeq is { } p
                    ? Inv($"between seq {p} and seq {seq}")
                    : Inv($"between the anchor (seq {meta.AnchorSeq}, the last row retention deleted) and seq {seq}, the first row left");
                found.Add(JournalProblemKind.Deleted, expectedSeq, seq - 1, Inv($"{Range(expectedSeq, seq - 1)} missing {where}: deleted."));
                for (var m = expectedSeq; m < seq && missing.Count < MaxSuspects; m++)
                {
                    missing.Add(m);
                }
            }

            if (stored.Hash is null || stored.PrevHash is null)
            {
                found.Add(JournalProblemKind.Edited, seq, null, Inv($"seq {seq} has no {(stored.Hash is null ? "hash" : "prev_hash")}, though the chain started at seq {meta.ChainStart}: the row was edited."));
            }
            else
            {
                if (!chain.Hash(stored.PrevHash, stored.Row).AsSpan().SequenceEqual(stored.Hash))
                {
                    found.Add(JournalProblemKind.Edited, seq, null, Inv($"seq {seq}: hash mismatch: the row's values are not the ones it was written with (edited)."));
                    if (suspects.Count < MaxSuspects)
                    {
                        suspects.Add(stored);
                    }
                }

                if ((!gap || declared) && !Same(stored.PrevHash, expectedPrev))
                {
                    var before = previousSeq is { } p ? Inv($"seq {p}") : Inv($"the anchor (seq {meta.AnchorSeq})");
                    found.Add(JournalProblemKind.BrokenLink, previousSeq ?? meta.AnchorSeq, seq, Inv($"chain broken between {before} and seq {seq}: seq {seq}'s prev_hash is not the hash of {before} (a row rewritten with a recomputed hash, replaced, or moved)."));
                }
            }

            previousSeq = seq;
            expectedSeq = seq + 1;
            expectedPrev = stored.Hash;
        }

        var last = expectedSeq - 1;
        if (last < meta.LastSeq)
        {
            found.Add(JournalProblemKind.Truncated, last + 1, meta.LastSeq, Inv($"{Range(last + 1, meta.LastSeq)} missing at the end: gateway_meta says seq {meta.LastSeq} was written, the journal ends at seq {last} (newest rows deleted)."));
        }
        else if (!Same(expectedPrev, meta.Head))
        {
            found.Add(JournalProblemKind.Head, last, null, Inv($"gateway_meta.chain_head is not the hash of the newest entry (seq {last}): the newest row or the head was altered."));
        }

        if (officeLastSeq is { } office && office > Math.Max(last, meta.LastSeq))
        {
            // After an unclean stop the office may hold seqs, up to the reservation, that never
            // reached the disk; the gateway's next start declares them (journal.gap). From the file
            // alone that cannot be told from deleted rows with gateway_meta rewritten, so it is
            // still reported, with both readings.
            var why = office <= meta.ReservedThrough
                ? Inv($"either the gateway stopped uncleanly (power cut, killed) after handing them out and has not started since (its next start declares them in journal.gap: seqs up to {meta.ReservedThrough} were reserved), or the newest rows were deleted, with gateway_meta")
                : "newest rows deleted, with gateway_meta";
            found.Add(JournalProblemKind.Truncated, Math.Max(last, meta.LastSeq) + 1, office, Inv($"{Range(Math.Max(last, meta.LastSeq) + 1, office)} missing at the end: the office has seen seq {office}, the journal ends at seq {last} ({why})."));
        }

        ExplainMoves(found, suspects, missing, chain);
        return new JournalVerification(reader.Path, entries, first, last, meta.ChainStart, meta.AnchorSeq, unchained, found.Sorted(), found.Unlisted);
    }

    // A row whose hash fails may be a genuine row in the wrong place: its values verify under
    // another seq (rows renumbered, e.g. two seq values swapped), or its values are the ones
    // another row's hash was computed over (contents swapped between rows). Say so, by seq.
    private static void ExplainMoves(Findings found, List<StoredEvent> suspects, List<long> missing, JournalChain chain)
    {
        var candidates = suspects.Select(s => s.Row.Seq).Concat(missing).ToList();
        foreach (var row in suspects)
        {
            foreach (var seq in candidates)
            {
                if (seq == row.Row.Seq)
                {
                    continue;
                }

                if (chain.Hash(row.PrevHash!, row.Row with { Seq = seq }).AsSpan().SequenceEqual(row.Hash!))
                {
                    found.Replace(row.Row.Seq, JournalProblemKind.Reordered, seq, Inv($"seq {row.Row.Seq} holds the entry written as seq {seq}: rows reordered."));
                    break;
                }

                var other = suspects.Find(s => s.Row.Seq == seq);
                if (other is not null && chain.Hash(other.PrevHash!, row.Row with { Seq = seq }).AsSpan().SequenceEqual(other.Hash!))
                {
                    found.Replace(row.Row.Seq, JournalProblemKind.Reordered, seq, Inv($"seq {row.Row.Seq} holds the values written as seq {seq}: contents swapped between rows."));
                    break;
                }
            }
        }
    }

    // A journal.gap row at seq S that names exactly the skipped seqs expectedSeq..S-1.
    private static bool DeclaresGap(ChainedRow row, long expectedSeq)
    {
        if (row.Type != "journal.gap")
        {
            return false;
        }

        try
        {
            using var data = JsonDocument.Parse(row.Data);
            return data.RootElement.TryGetProperty("fromSeq", out var from) && from.TryGetInt64(out var fromSeq)
                && data.RootElement.TryGetProperty("throughSeq", out var through) && through.TryGetInt64(out var throughSeq)
                && fromSeq == expectedSeq && throughSeq == row.Seq - 1;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Same(byte[]? a, byte[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);

    private static string Describe(byte[]? hash) => hash is null ? "missing" : Inv($"{hash.Length} bytes");

    private static string Range(long from, long through) =>
        from == through ? Inv($"seq {from}") : Inv($"seq {from}..{through} ({through - from + 1} entries)");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class Findings
    {
        private readonly List<JournalProblem> _problems = [];

        public long Unlisted { get; private set; }

        public void Add(JournalProblemKind kind, long seq, long? through, string message)
        {
            if (_problems.Count >= MaxListedProblems)
            {
                Unlisted++;
                return;
            }

            _problems.Add(new JournalProblem(kind, seq, through, message));
        }

        public void Replace(long seq, JournalProblemKind kind, long through, string message)
        {
            var index = _problems.FindIndex(p => p.Kind == JournalProblemKind.Edited && p.Seq == seq);
            if (index >= 0)
            {
                _problems[index] = new JournalProblem(kind, seq, through, message);
            }
        }

        public IReadOnlyList<JournalProblem> Sorted() => [.. _problems.OrderBy(p => p.Seq)];
    }
}

/// <summary>What a verification found.</summary>
/// <param name="Path">The journal file.</param>
/// <param name="Entries">Rows in the table.</param>
/// <param name="FirstSeq">Oldest seq in the table, or null when it is empty.</param>
/// <param name="LastSeq">Newest seq the chain reached (the anchor's when the table is empty).</param>
/// <param name="ChainStart">First seq written with a hash.</param>
/// <param name="AnchorSeq">The seq the chain continues from (the last row deleted by retention).</param>
/// <param name="Unchained">Rows from before the chain started, which nothing vouches for.</param>
/// <param name="Problems">Every problem found, by seq (at most <see cref="JournalVerifier.MaxListedProblems"/>).</param>
/// <param name="UnlistedProblems">Problems beyond the listed ones, counted only.</param>
public sealed record JournalVerification(
    string Path,
    long Entries,
    long? FirstSeq,
    long LastSeq,
    long ChainStart,
    long AnchorSeq,
    long Unchained,
    IReadOnlyList<JournalProblem> Problems,
    long UnlistedProblems)
{
    /// <summary>True when no problem was found.</summary>
    public bool IsIntact => Problems.Count == 0 && UnlistedProblems == 0;
}

/// <summary>One problem: what, where (<paramref name="Seq"/>, through <paramref name="ThroughSeq"/> for a range or the other seq involved), and a sentence for the report.</summary>
/// <param name="Kind">What kind of tampering it indicates.</param>
/// <param name="Seq">Where it is.</param>
/// <param name="ThroughSeq">End of a range, the other side of a broken link, or where a moved row belongs.</param>
/// <param name="Message">The sentence printed by <c>journal verify</c>.</param>
public sealed record JournalProblem(JournalProblemKind Kind, long Seq, long? ThroughSeq, string Message);

/// <summary>Kinds of problem <see cref="JournalVerifier"/> reports.</summary>
public enum JournalProblemKind
{
    /// <summary>A row's values or hash differ from what was written.</summary>
    Edited,

    /// <summary>Rows missing inside the chain (a seq gap).</summary>
    Deleted,

    /// <summary>A row's prev_hash is not its predecessor's hash.</summary>
    BrokenLink,

    /// <summary>A row holds another seq's entry or values.</summary>
    Reordered,

    /// <summary>The newest rows are missing.</summary>
    Truncated,

    /// <summary>The retention anchor does not fit the table or the delivery cursor.</summary>
    Anchor,

    /// <summary>The recorded head is not the newest row's hash.</summary>
    Head,
}
