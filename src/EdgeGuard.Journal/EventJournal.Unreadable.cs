using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Reading a stored row back, and what the publisher gets when it cannot be read. A stored row can
// be damaged only by the storage (a flipped bit on an SD card, a dying page) or by a tool that
// edited the file. Three kinds of damage are caught:
// - fields that are not what the journal writes (an id that is no UUIDv7, a timestamp, severity or
//   type it never writes, data that is not a JSON object);
// - on delivery, a row that no longer matches its own hash (JournalChain), which catches what keeps
//   a field's shape: a flipped hex digit of an id, a digit in data;
// - on delivery, a page SQLite itself reports corrupt: the range is read again row by row
//   (EventJournal.DamagedRange.cs).
// The tools (journal tail, export) refuse a row of the first kind with its seq and the problem, and
// show a row of the second as stored; `journal verify` names both. The publisher must not stop: it
// reads in seq order and advances only past what the broker acknowledged, so a row it could not
// read stopped delivery at that seq for good, and every later event (a lockdown, a fire) waited
// behind it while the gateway looked online. Instead it gets a journal.unreadable record in the
// row's place: the office learns that this seq's event was lost and, when the type is still
// readable, what kind of event it was, and delivery goes on. The row itself stays in the file.
public sealed partial class EventJournal
{
    /// <summary>The type of the record the publisher gets in place of a stored row that cannot be read back.</summary>
    public const string UnreadableType = "journal.unreadable";

    // The row's fields, then its chain links (NULL on rows from before the chain, schema 8).
    private const string SelectColumns = "seq, id, ts, mono, type, point, zone, severity, drill, data, prev_hash, hash";

    // Delivery reads check each chained row against its own hash; one instance, used under _readGate.
    private readonly JournalChain _readChain = new();

    // Salts the id of a record whose row could not be read at all (no stored field to derive it
    // from): the same for every resend while this journal is open, another after a restart.
    private readonly Guid _unreadableSalt = Guid.NewGuid();

    // The stored row at the reader, checked field by field. For delivery, a row that fails a check
    // becomes a journal.unreadable record (reported once per read through onError); for the tools,
    // a JournalException naming the seq and the problem.
    private JournalRecord ReadRecord(SqliteDataReader reader, bool forDelivery)
    {
        var seq = reader.GetInt64(0);
        var idText = Text(reader, 1);
        var tsText = Text(reader, 2);
        var type = Text(reader, 4);
        var severityText = Text(reader, 7);
        var data = Text(reader, 9);

        // GetInt64 throws on NULL, which only a damaged record header can produce here.
        var mono = reader.GetValue(3) as long?;
        var drill = reader.GetValue(8) as long?;
        var idOk = Guid.TryParseExact(idText, "D", out var id);
        var tsOk = DateTimeOffset.TryParseExact(tsText, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var timestamp);
        var severity = severityText is null ? null : EventDataWriter.ParseSeverity(severityText);
        var problem =
            !idOk ? $"has id '{Quoted(idText)}', not a UUID."
            : !IsUuidV7(idText!) ? $"has id '{Quoted(idText)}', a UUID but not a UUIDv7, the only kind the journal writes."
            : !tsOk ? $"has timestamp '{Quoted(tsText)}', not ISO-8601 round-trip text."
            : severity is null ? $"has unknown severity '{Quoted(severityText)}'."
            : !IsEventType(type) ? $"has type '{Quoted(type)}', not an event type."
            : !IsJsonObject(data) ? "has data that is not a JSON object."
            : mono is null || drill is not (0 or 1) ? $"has monotonic time '{Quoted(Convert.ToString(reader.GetValue(3), CultureInfo.InvariantCulture))}' or drill flag '{Quoted(Convert.ToString(reader.GetValue(8), CultureInfo.InvariantCulture))}', not what the journal writes."
            : forDelivery && !MatchesItsHash(reader, new ChainedRow(seq, idText!, tsText!, mono.Value, type!, Text(reader, 5), Text(reader, 6), severityText!, drill.Value, data!))
                ? "does not match its hash: it was changed after it was written."
            : null;

        if (problem is not null)
        {
            var corrupt = Corrupt(seq, problem);
            if (!forDelivery)
            {
                throw corrupt;
            }

            Report(corrupt);
            // The stored id only while it is still a UUIDv7 the contract accepts (a flipped version
            // or variant digit still parses as a UUID).
            return Unreadable(
                seq, problem, tsOk ? timestamp : null, IsEventType(type) ? type : null,
                idOk && IsUuidV7(idText!) ? id : null, DerivedId(StoredFields(reader), tsOk ? timestamp : null), TimeSpan.FromTicks(mono ?? 0));
        }

        return new JournalRecord(
            seq,
            id,
            timestamp,
            TimeSpan.FromTicks(mono!.Value),
            type!,
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            severity!.Value,
            drill == 1,
            data!);
    }

    // A shape check passes a flipped hex digit in an id or a digit in data; the row's own hash
    // does not. Rows from before the chain have none and pass.
    private bool MatchesItsHash(SqliteDataReader reader, in ChainedRow row) =>
        reader.IsDBNull(10) || reader.IsDBNull(11) || reader.GetValue(10) is not byte[] prev || reader.GetValue(11) is not byte[] hash
            || _readChain.Hash(prev, row).AsSpan().SequenceEqual(hash);

    private JournalException Corrupt(long seq, string problem) =>
        JournalException.For(_database.Path, string.Create(CultureInfo.InvariantCulture, $"event {seq} {problem}"));

    // The record sent in place of an unreadable row: critical, never a drill (what it was is
    // unknown), no point or zone, data naming the problem and the stored type when it is readable.
    // The stored id when it is still a UUID, so an office that already has the event drops this as
    // a duplicate; otherwise one derived from the row's stored bytes, the same on every read, so a
    // resend after a lost PUBACK is a duplicate too. The stored timestamp when it is readable,
    // otherwise the time it was read.
    private JournalRecord Unreadable(long seq, string problem, DateTimeOffset? timestamp, string? type, Guid? storedId, Guid derivedId, TimeSpan monotonic)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            // The contract caps it at 200 characters; SQLite's own messages are not ours to bound.
            writer.WriteString("problem", problem.Length > 200 ? EventDataWriter.Cut(problem, 199) + "…" : problem);
            if (type is null)
            {
                writer.WriteNull("storedType");
            }
            else
            {
                writer.WriteString("storedType", type);
            }

            writer.WriteEndObject();
        }

        return new JournalRecord(
            seq,
            storedId ?? derivedId,
            timestamp ?? _time.GetUtcNow(),
            monotonic,
            UnreadableType,
            null,
            null,
            Severity.Critical,
            false,
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // The row's stored fields as one text, to derive a stable id from.
    private static string StoredFields(SqliteDataReader reader)
    {
        var row = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{UnreadableType}\n{reader.GetInt64(0)}");
        for (var column = 1; column < reader.FieldCount; column++)
        {
            var value = reader.GetValue(column);
            row.Append('\n').Append(value is byte[] blob ? Convert.ToHexString(blob) : Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        return row.ToString();
    }

    // A UUIDv7-shaped id from the row's stored fields: the stored time when readable, else 0, then
    // SHA-256 bits. Unique in practice: even a damaged id keeps most of its original random bits,
    // and the timestamps and monotonic times of two gateways' rows differ.
    private static Guid DerivedId(string source, DateTimeOffset? timestamp)
    {
        Span<byte> id = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(source), id);
        var millis = timestamp is { } at && at >= DateTimeOffset.UnixEpoch ? at.ToUnixTimeMilliseconds() : 0;
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, millis << 16);
        time[..6].CopyTo(id);
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // variant 10
        return new Guid(id[..16], bigEndian: true);
    }

    // A damaged field as the problem quotes it: at most 64 characters, so that a field overwritten
    // with a long run of garbage does not make a message the broker may refuse.
    private static string? Quoted(string? text) => text is { Length: > 64 } ? EventDataWriter.Cut(text, 64) + "…" : text;

    // Lowercase "D" text of a version 7, RFC 9562 variant UUID, as common.schema.json's uuidV7: a
    // flipped version or variant digit still parses as a UUID, and the office's schema refuses it.
    private static bool IsUuidV7(string text) => text.Length == 36 && text[14] == '7' && text[19] is '8' or '9' or 'a' or 'b';

    // A stored text column, or null when it is NULL or not text (only corruption makes it so).
    private static string? Text(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : reader.GetValue(column) as string;

    // What event.schema.json's type pattern accepts: dot-separated lowercase kebab-case segments.
    private static bool IsEventType(string? type)
    {
        if (type is null || type.Length is 0 or > 128)
        {
            return false;
        }

        var segments = 0;
        foreach (var segment in type.Split('.'))
        {
            segments++;
            if (segment.Length == 0 || segment[0] is < 'a' or > 'z' || segment[^1] == '-' || segment.Contains("--", StringComparison.Ordinal))
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                {
                    return false;
                }
            }
        }

        return segments >= 2;
    }

    private static bool IsJsonObject(string? data)
    {
        if (data is null || data.Length == 0 || data[0] != '{')
        {
            return false;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(data.Length));
        try
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(0, Encoding.UTF8.GetBytes(data, bytes)));
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
