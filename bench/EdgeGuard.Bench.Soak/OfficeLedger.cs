using System.Globalization;
using System.Text.Json;
using EdgeGuard.Testing;

namespace EdgeGuard.Bench.Soak;

/// <summary>
/// The office's bookkeeping of one gateway's event stream, by the contract's rules
/// (docs/mqtt.asyncapi.yaml): <c>seq</c> = last + 1 is the next event; a seq at or below last with
/// an <c>id</c> already received is a repeat, allowed when it is marked as one (<c>replayed: true</c>
/// from the gateway, or MQTT's DUP flag from the broker's own redelivery after its restart); a seq
/// above last + 1 is a jump, allowed only on a <c>journal.gap</c> declaring the skipped seqs.
/// Everything else is a fault. Keeps one id per seq (about 40 bytes each), not the payloads.
/// </summary>
internal sealed class OfficeLedger(string eventsTopic)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Guid> _ids = [];
    private readonly List<(long From, long Through)> _declared = [];
    private long _last;

    public long Received { get { lock (_gate) { return _ids.Count; } } }

    public long Last { get { lock (_gate) { return _last; } } }

    /// <summary>Repeats marked as such (replayed or DUP): allowed, counted.</summary>
    public long MarkedRepeats { get; private set; }

    /// <summary>Repeats with neither mark: the gateway sent an event twice as if new.</summary>
    public long UnmarkedRepeats { get; private set; }

    /// <summary>Seqs that came after a higher one without a journal.gap declaring them skipped.</summary>
    public long OutOfOrder { get; private set; }

    /// <summary>A seq received twice with different ids.</summary>
    public long Conflicts { get; private set; }

    /// <summary>Events on the topic that could not be read (no seq, no id).</summary>
    public long Unreadable { get; private set; }

    /// <summary>For <see cref="TestSubscriber"/>'s observer: called once per message, in arrival order.</summary>
    public void Observe(Receipt receipt)
    {
        if (receipt.Topic != eventsTopic)
        {
            return;
        }

        if (!receipt.UserProperties.TryGetValue("seq", out var seqText)
            || !long.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || Read(receipt.Payload) is not { } read)
        {
            lock (_gate)
            {
                Unreadable++;
            }

            return;
        }

        lock (_gate)
        {
            Account(seq, read, receipt.Dup);
        }
    }

    private void Account(long seq, (Guid Id, bool Replayed, string Type, long? GapFrom, long? GapThrough) e, bool dup)
    {
        if (_ids.TryGetValue(seq, out var known))
        {
            if (known != e.Id)
            {
                Conflicts++;
            }
            else if (e.Replayed || dup)
            {
                MarkedRepeats++;
            }
            else
            {
                UnmarkedRepeats++;
            }

            return;
        }

        _ids[seq] = e.Id;
        if (e.Type == "journal.gap" && e.GapFrom is { } from && e.GapThrough is { } through)
        {
            _declared.Add((from, through));
        }

        if (seq < _last && !IsDeclared(seq))
        {
            OutOfOrder++; // came after a higher seq, and no gap report said it would be late
        }

        _last = Math.Max(_last, seq);
    }

    private bool IsDeclared(long seq) => _declared.Any(d => seq >= d.From && seq <= d.Through);

    /// <summary>Seqs 1..<paramref name="lastSeq"/> the office never got and no journal.gap declared skipped.</summary>
    public long Missing(long lastSeq)
    {
        lock (_gate)
        {
            long missing = 0;
            for (long seq = 1; seq <= lastSeq; seq++)
            {
                if (!_ids.ContainsKey(seq) && !IsDeclared(seq))
                {
                    missing++;
                }
            }

            return missing;
        }
    }

    /// <summary>Nothing lost, nothing out of turn, every repeat marked.</summary>
    public bool Intact(long lastSeq) =>
        lastSeq > 0 && Missing(lastSeq) == 0 && OutOfOrder == 0 && UnmarkedRepeats == 0 && Conflicts == 0 && Unreadable == 0;

    public string Describe(long lastSeq) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Received:N0} distinct seqs of {lastSeq:N0} journaled; {Missing(lastSeq):N0} missing, {OutOfOrder:N0} out of order, " +
        $"{MarkedRepeats:N0} repeats marked replayed/DUP (allowed), {UnmarkedRepeats:N0} unmarked repeats, " +
        $"{Conflicts:N0} seqs with two ids, {Unreadable:N0} unreadable, {_declared.Count:N0} journal.gap declarations");

    private static (Guid Id, bool Replayed, string Type, long? GapFrom, long? GapThrough)? Read(byte[] payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            var root = json.RootElement;
            long? from = null, through = null;
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                from = data.TryGetProperty("fromSeq", out var f) && f.TryGetInt64(out var fv) ? fv : null;
                through = data.TryGetProperty("throughSeq", out var t) && t.TryGetInt64(out var tv) ? tv : null;
            }

            return (Guid.Parse(root.GetProperty("id").GetString()!), root.GetProperty("replayed").GetBoolean(),
                root.GetProperty("type").GetString()!, from, through);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or ArgumentNullException)
        {
            return null;
        }
    }
}
