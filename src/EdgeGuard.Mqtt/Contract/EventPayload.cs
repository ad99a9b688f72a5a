using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Contract;

/// <summary>
/// Writes the payload of <c>{root}/events</c> byte by byte into an array of its exact size: the
/// same bytes <see cref="Utf8JsonWriter"/> writes with its default options (the tests compare
/// them), without it. Every event is written on the path it takes to the office's PUBLISH, where
/// the writer's general code (state tracking, validation, escaping, a buffer then a copy) cost
/// more than the rest of the payload (docs/PERFORMANCE.md, runs Z7).
/// </summary>
internal static class EventPayload
{
    // Characters a JSON string may hold as they are. Utf8JsonWriter's default encoder escapes
    // everything else: controls, non-ASCII, the quote and backslash, and HTML-sensitive & ' + < > `.
    private static readonly SearchValues<char> PlainChars = SearchValues.Create(
        " !#$%()*,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~");

    // Fails on a lone surrogate, as Utf8JsonWriter.WriteRawValue(string) does.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Data texts already validated, by reference (strings are immutable). The controller describes
    // a point change with one of a few cached texts, so on the live path the data is checked once
    // per text, not per event. Slots are overwritten freely; a miss only validates again.
    private static readonly ValidData?[] Validated = new ValidData?[64];

    private static readonly ValidData Empty = new(Payloads.EmptyData, Encoding.ASCII.GetBytes(Payloads.EmptyData));

    private static readonly byte[][] SeverityNames = [.. Enum.GetValues<Severity>().Select(s => Encoding.ASCII.GetBytes(Payloads.SeverityName(s)))];

    // A Guid as "D" formats it: 32 hex digits and 4 hyphens.
    private const int IdLength = 36;

    private static readonly byte[] Head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"v\":{Payloads.Version},\"id\":\""));

    /// <inheritdoc cref="Payloads.Event"/>
    public static byte[] Write(JournalRecord record, Topics topics, bool replayed, out bool dataEmbedded)
    {
        var data = DataOf(record.DataJson);
        dataEmbedded = data is not null;
        data ??= Empty;
        var type = Text(record.Type);
        JsonText? point = record.Point is { } p ? Text(p) : null;
        JsonText? zone = record.Zone is { } z ? Text(z) : null;
        var severity = SeverityText(record.Severity);
        Span<byte> seq = stackalloc byte[20];
        record.Seq.TryFormat(seq, out var seqLength, default, CultureInfo.InvariantCulture);

        var length = Head.Length + IdLength + topics.EventSiteAndGateway.Length + seqLength
            + ",\"ts\":\""u8.Length + Core.WireTime.Length + "\",\"type\":\""u8.Length + type.Length + 1
            + (point is { } pt ? ",\"point\":\""u8.Length + pt.Length + 1 : 0)
            + (zone is { } zt ? ",\"zone\":\""u8.Length + zt.Length + 1 : 0)
            + ",\"severity\":\""u8.Length + severity.Length + "\",\"drill\":"u8.Length + Bool(record.Drill).Length
            + ",\"replayed\":"u8.Length + Bool(replayed).Length + ",\"data\":"u8.Length + data.Utf8.Length + 1;
        var payload = new byte[length];
        var at = new Cursor(payload);
        at.Put(Head);
        record.Id.TryFormat(at.Rest, out _, "D");
        at.Skip(IdLength);
        at.Put(topics.EventSiteAndGateway);
        at.Put(seq[..seqLength]);
        at.Put(",\"ts\":\""u8);
        Core.WireTime.FormatUtf8(record.Timestamp, at.Rest);
        at.Skip(Core.WireTime.Length);
        at.Put("\",\"type\":\""u8);
        at.PutText(type);
        if (point is { } pointText)
        {
            at.Put(",\"point\":\""u8);
            at.PutText(pointText);
        }

        if (zone is { } zoneText)
        {
            at.Put(",\"zone\":\""u8);
            at.PutText(zoneText);
        }

        at.Put(",\"severity\":\""u8);
        at.Put(severity);
        at.Put("\",\"drill\":"u8);
        at.Put(Bool(record.Drill));
        at.Put(",\"replayed\":"u8);
        at.Put(Bool(replayed));
        at.Put(",\"data\":"u8);
        at.Put(data.Utf8);
        at.Put("}"u8);
        return at.Done();
    }

    // A JSON string's content (no quotes) as Utf8JsonWriter escapes it. Through UTF-8 first, as the
    // writer does: a lone surrogate becomes U+FFFD (written \uFFFD) instead of an exception.
    private static JsonText Text(string value) =>
        value.AsSpan().IndexOfAnyExcept(PlainChars) < 0
            ? new JsonText(value, null)
            : new JsonText(null, JsonEncodedText.Encode(Encoding.UTF8.GetBytes(value)).EncodedUtf8Bytes.ToArray());

    /// <summary>The data as UTF-8 when it is one JSON object (leading whitespace allowed), else null.</summary>
    private static ValidData? DataOf(string? json)
    {
        if (json is null)
        {
            return null;
        }

        var slot = RuntimeHelpers.GetHashCode(json) & (Validated.Length - 1);
        if (Validated[slot] is { } known && ReferenceEquals(known.Json, json))
        {
            return known;
        }

        var text = json.AsSpan().TrimStart();
        if (text.IsEmpty || text[0] != '{')
        {
            return null;
        }

        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(json);
            var reader = new Utf8JsonReader(utf8);
            reader.Read();
            reader.Skip();
            if (reader.Read())
            {
                return null; // a second value after the object
            }
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return null;
        }

        return Validated[slot] = new ValidData(json, utf8);
    }

    // Payloads.SeverityName of each value (0 to 3, in order), as UTF-8; an unknown value throws there.
    private static ReadOnlySpan<byte> SeverityText(Severity severity) =>
        (uint)severity < (uint)SeverityNames.Length ? SeverityNames[(int)severity] : Encoding.ASCII.GetBytes(Payloads.SeverityName(severity));

    private static ReadOnlySpan<byte> Bool(bool value) => value ? "true"u8 : "false"u8;

    /// <summary>A string's escaped UTF-8: the string itself when every character is plain ASCII.</summary>
    private readonly record struct JsonText(string? Plain, byte[]? Escaped)
    {
        public int Length => Plain?.Length ?? Escaped!.Length;
    }

    private sealed record ValidData(string Json, byte[] Utf8);

    // Writes forward through the payload's array; Done checks it was filled exactly.
    private struct Cursor(byte[] payload)
    {
        private int _at;

        public readonly Span<byte> Rest => payload.AsSpan(_at);

        public void Skip(int count) => _at += count;

        public void Put(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(payload.AsSpan(_at));
            _at += bytes.Length;
        }

        // The text, then its closing quote.
        public void PutText(JsonText text)
        {
            if (text.Plain is { } plain)
            {
                _at += Encoding.ASCII.GetBytes(plain, payload.AsSpan(_at));
            }
            else
            {
                Put(text.Escaped);
            }

            payload[_at++] = (byte)'"';
        }

        public readonly byte[] Done() => _at == payload.Length
            ? payload
            : throw new InvalidOperationException($"event payload: wrote {_at} of {payload.Length} bytes");
    }
}
