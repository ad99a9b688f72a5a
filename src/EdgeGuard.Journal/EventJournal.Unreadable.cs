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

// Reading a stored row back, and what the publisher gets when it cannot be read. A row that SQLite
// returns but whose fields are not what the journal wrote (an id that is no UUID, a timestamp,
// severity or type the journal never writes, data that is not a JSON object) can only come from
// storage corruption: a flipped bit on an SD card, a tool that edited the file. The tools
// (journal tail, export) refuse such a row with its seq and the problem. The publisher must not:
// it reads in seq order and advances only past what the broker acknowledged, so a row it could
// not read stopped delivery at that seq for good. Every later event (a lockdown, a fire) would
// then wait behind it while the gateway looked online. Instead the publisher gets a
// journal.unreadable record in the row's place: the office learns that this seq was lost and
// what kind of event it was (when the type is still readable), and delivery goes on.
// `journal verify` names the same row; the row itself stays in the file, untouched.
public sealed partial class EventJournal
{
    /// <summary>The type of the record the publisher gets in place of a stored row that cannot be read back.</summary>
    public const string UnreadableType = "journal.unreadable";

    private const string SelectColumns = "seq, id, ts, mono, type, point, zone, severity, drill, data";

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

        var idOk = Guid.TryParseExact(idText, "D", out var id);
        var tsOk = DateTimeOffset.TryParseExact(tsText, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var timestamp);
        var severity = severityText is null ? null : EventDataWriter.ParseSeverity(severityText);
        var problem =
            !idOk ? $"has id '{Quoted(idText)}', not a UUID."
            : !tsOk ? $"has timestamp '{Quoted(tsText)}', not ISO-8601 round-trip text."
            : severity is null ? $"has unknown severity '{Quoted(severityText)}'."
            : !IsEventType(type) ? $"has type '{Quoted(type)}', not an event type."
            : !IsJsonObject(data) ? "has data that is not a JSON object."
            : null;

        if (problem is not null)
        {
            var corrupt = Corrupt(seq, problem);
            if (!forDelivery)
            {
                throw corrupt;
            }

            Report(corrupt);
            return Unreadable(reader, seq, idOk ? id : null, tsOk ? timestamp : null, IsEventType(type) ? type : null, problem);
        }

        return new JournalRecord(
            seq,
            id,
            timestamp,
            TimeSpan.FromTicks(reader.GetInt64(3)),
            type!,
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            severity!.Value,
            reader.GetInt64(8) != 0,
            data!);
    }

    private JournalException Corrupt(long seq, string problem) =>
        JournalException.For(_database.Path, string.Create(CultureInfo.InvariantCulture, $"event {seq} {problem}"));

    // The record sent in place of an unreadable row: critical, never a drill (what it was is
    // unknown), no point or zone, data naming the problem and the stored type when it is readable.
    // The stored id when it is still a UUID, so an office that already has the event drops this as
    // a duplicate; otherwise one derived from the row's stored bytes, the same on every read, so a
    // resend after a lost PUBACK is a duplicate too. The stored timestamp when it is readable,
    // otherwise the time it was read.
    private JournalRecord Unreadable(SqliteDataReader reader, long seq, Guid? id, DateTimeOffset? timestamp, string? type, string problem)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("problem", problem);
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
            id ?? DerivedId(reader, seq, timestamp),
            timestamp ?? _time.GetUtcNow(),
            TimeSpan.FromTicks(reader.IsDBNull(3) ? 0 : reader.GetInt64(3)),
            UnreadableType,
            null,
            null,
            Severity.Critical,
            false,
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // A UUIDv7-shaped id from the row's stored fields: the stored time when readable, else 0, then
    // SHA-256 bits. Unique in practice: even a damaged id keeps most of its original random bits,
    // and the timestamps and monotonic times of two gateways' rows differ.
    private static Guid DerivedId(SqliteDataReader reader, long seq, DateTimeOffset? timestamp)
    {
        var row = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{UnreadableType}\n{seq}");
        for (var column = 1; column < reader.FieldCount; column++)
        {
            var value = reader.GetValue(column);
            row.Append('\n').Append(value is byte[] blob ? Convert.ToHexString(blob) : Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        Span<byte> id = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(row.ToString()), id);
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
    private static string? Quoted(string? text) => text is { Length: > 64 } ? string.Concat(text.AsSpan(0, 64), "…") : text;

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
