using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

public sealed partial class PayloadsTests
{
    private static readonly Topics Topics = new("site-1", "gw-1");
    private static readonly DateTimeOffset At = new(2026, 11, 23, 19, 0, 0, 123, TimeSpan.Zero);

    // Nested 71 deep, past the JSON reader's default limit of 64.
    private static readonly string DeeperThanTheReaderAllows = "{\"deep\":" + new string('[', 70) + new string(']', 70) + "}";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex TimestampForm();

    private static JournalRecord Record(string? point = "door-lobby", string? zone = "lobby", string data = """{"kind":"doorContact"}""") =>
        new(42, Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), At, TimeSpan.FromSeconds(5), "point.activated", point, zone, Severity.Alarm, false, data);

    private static string[] PropertyNames(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateObject().Select(p => p.Name)];
    }

    [Fact]
    public void An_event_has_exactly_the_contract_fields_in_contract_order()
    {
        var json = Payloads.Event(Record(), Topics, replayed: false, out var embedded);

        Assert.True(embedded);
        Assert.Equal(
            ["v", "id", "site", "gateway", "seq", "ts", "type", "point", "zone", "severity", "drill", "replayed", "data"],
            PropertyNames(json));
        Assert.Equal(
            """{"v":1,"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","site":"site-1","gateway":"gw-1","seq":42,"ts":"2026-11-23T19:00:00.123Z","type":"point.activated","point":"door-lobby","zone":"lobby","severity":"alarm","drill":false,"replayed":false,"data":{"kind":"doorContact"}}""",
            Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Point_and_zone_are_omitted_when_null_never_written_as_null()
    {
        var json = Payloads.Event(Record(point: null, zone: null), Topics, replayed: true, out _);

        Assert.Equal(["v", "id", "site", "gateway", "seq", "ts", "type", "severity", "drill", "replayed", "data"], PropertyNames(json));
        Assert.DoesNotContain("null", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.True(document.RootElement.GetProperty("replayed").GetBoolean());
    }

    [Fact]
    public void Data_is_the_journaled_json_embedded_byte_for_byte()
    {
        const string data = """{ "cause" : "panic-button", "nested": {"list": [1, 2.50, "x\u00e9"]} }""";

        var text = Encoding.UTF8.GetString(Payloads.Event(Record(data: data), Topics, false, out var embedded));

        Assert.True(embedded);
        Assert.EndsWith("\"data\":" + data + "}", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"unterminated\":")]
    [InlineData("{} {}")]
    public void Data_that_is_not_one_json_object_is_published_as_empty_and_reported(string data)
    {
        var json = Payloads.Event(Record(data: data), Topics, false, out var embedded);

        Assert.False(embedded);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Object, document.RootElement.GetProperty("data").ValueKind);
        Assert.Empty(document.RootElement.GetProperty("data").EnumerateObject());
    }

    [Fact]
    public void Timestamps_are_utc_with_milliseconds_whatever_the_offset_of_the_input()
    {
        var local = new DateTimeOffset(2026, 11, 23, 21, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_239_999);

        Assert.Equal("2026-11-23T19:00:00.123Z", Payloads.FormatTimestamp(local));
        Assert.Equal("0001-01-01T00:00:00.000Z", Payloads.FormatTimestamp(DateTimeOffset.MinValue));
    }

    [Fact]
    public void Severities_and_modes_have_their_wire_names()
    {
        Assert.Equal(["info", "warning", "alarm", "critical"], Enum.GetValues<Severity>().Select(Payloads.SeverityName));
        Assert.Equal("normal", Payloads.ModeName(SiteMode.Normal));
        Assert.Equal("lockdown", Payloads.ModeName(SiteMode.Lockdown));
    }

    [Fact]
    public void Lockdown_state_in_normal_mode_writes_its_nullable_fields_as_null()
    {
        var state = new SiteState(SiteMode.Normal, null, null, ImmutableSortedDictionary<string, bool>.Empty);

        var text = Encoding.UTF8.GetString(Payloads.LockdownState(state, Topics, At));

        Assert.Equal(
            """{"v":1,"site":"site-1","gateway":"gw-1","mode":"normal","cause":null,"point":null,"since":null,"scenario":null,"drill":false,"suspended":[],"sirenSounding":false,"fireEgressReleased":false,"threatLevel":1,"ts":"2026-11-23T19:00:00.123Z"}""",
            text);
    }

    [Fact]
    public void Lockdown_state_in_lockdown_carries_cause_point_since_and_siren()
    {
        var since = new DateTimeOffset(2026, 11, 23, 18, 59, 58, 7, TimeSpan.Zero);
        var state = new SiteState(
            SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-1", since), TimeSpan.FromMinutes(3), ImmutableSortedDictionary<string, bool>.Empty);

        var text = Encoding.UTF8.GetString(Payloads.LockdownState(state, Topics, At));

        Assert.Equal(
            """{"v":1,"site":"site-1","gateway":"gw-1","mode":"lockdown","cause":"panic-button","point":"panic-1","since":"2026-11-23T18:59:58.007Z","scenario":"lockdown","drill":false,"suspended":[],"sirenSounding":true,"fireEgressReleased":false,"threatLevel":1,"ts":"2026-11-23T19:00:00.123Z"}""",
            text);
    }

    [Fact]
    public void Point_state_has_exactly_the_contract_fields()
    {
        var text = Encoding.UTF8.GetString(Payloads.PointState("door-lobby", true, null, Topics, At));

        Assert.Equal("""{"v":1,"site":"site-1","gateway":"gw-1","point":"door-lobby","active":true,"bypassedUntil":null,"ts":"2026-11-23T19:00:00.123Z"}""", text);
    }

    [Fact]
    public void Point_state_of_a_bypassed_point_says_until_when()
    {
        var text = Encoding.UTF8.GetString(Payloads.PointState("door-lobby", false, At.AddHours(2), Topics, At));

        Assert.Equal("""{"v":1,"site":"site-1","gateway":"gw-1","point":"door-lobby","active":false,"bypassedUntil":"2026-11-23T21:00:00.123Z","ts":"2026-11-23T19:00:00.123Z"}""", text);
    }

    [Fact]
    public void The_timestamp_is_the_contract_form_of_any_instant_whatever_its_offset_and_sub_millisecond_ticks()
    {
        // Written digit by digit; the runtime's own custom format is the reference.
        var instants =
            from ticks in Gen.Long[DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay]
            from offsetMinutes in Gen.Int[-14 * 60, 14 * 60]
            select new DateTimeOffset(ticks, TimeSpan.FromMinutes(offsetMinutes));
        instants.Sample(at =>
        {
            var expected = at.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, Payloads.FormatTimestamp(at));
            Assert.Contains($"\"ts\":\"{expected}\"", Encoding.UTF8.GetString(Payloads.PointState("door-lobby", true, null, Topics, at)), StringComparison.Ordinal);
        });
        Assert.Equal("0001-01-01T00:00:00.000Z", Payloads.FormatTimestamp(DateTimeOffset.MinValue));
        Assert.Equal("9999-12-31T23:59:59.999Z", Payloads.FormatTimestamp(DateTimeOffset.MaxValue));
    }

    [Fact]
    public void Any_record_becomes_valid_json_that_round_trips_its_fields()
    {
        var records = Records(
            Gen.String[Gen.Char.AlphaNumeric, 1, 20],
            Gen.String.Select(value => $"{{\"value\":\"{System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(value)}\"}}"));
        var replayedGen = Gen.Bool;

        records.Select(replayedGen).Sample((record, replayed) =>
        {
            using var document = JsonDocument.Parse(Payloads.Event(record, Topics, replayed, out var embedded));
            var root = document.RootElement;
            Assert.True(embedded);
            Assert.Equal(record.Seq, root.GetProperty("seq").GetInt64());
            Assert.Equal(record.Id.ToString(), root.GetProperty("id").GetString());
            Assert.Matches(TimestampForm(), root.GetProperty("ts").GetString()!);
            Assert.Equal(record.Timestamp.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(root.GetProperty("ts").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
            Assert.Equal(record.Point is not null, root.TryGetProperty("point", out _));
            Assert.Equal(record.Zone is not null, root.TryGetProperty("zone", out _));
            Assert.Equal(replayed, root.GetProperty("replayed").GetBoolean());
            Assert.Equal(record.Drill, root.GetProperty("drill").GetBoolean());
            Assert.Equal(JsonDocument.Parse(record.DataJson).RootElement.GetProperty("value").GetString(), root.GetProperty("data").GetProperty("value").GetString());
        });
    }

    [Fact]
    public void An_event_is_byte_for_byte_what_utf8_json_writer_writes()
    {
        // Any text in any field, every UTF-16 code unit (controls, quotes, HTML-sensitive
        // characters, non-ASCII, lone surrogates): escaped exactly as the framework's writer escapes
        // it. Data is any string at all, and the edge cases of "one JSON object".
        var anyText = Gen.String[Gen.Char['\0', '\uffff'], 0, 20];
        var text = Gen.OneOf(anyText, Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.Const("door \"A\" <b>&'+`\u00e9\u0001\u007f\ud83d\ude00 \ud800"));
        var data = Gen.OneOf(
            anyText,
            Gen.Const("""{"kind":"doorContact","active":true}"""),
            Gen.Const("""  { "nested": {"list": [1, 2.50, "x\u00e9"]} } """),
            Gen.Const("""{} {}"""),
            Gen.Const("""{}x"""),
            Gen.Const("""{} // comment"""),
            Gen.Const("""{"lone":"\ud800"}"""),
            Gen.Const(DeeperThanTheReaderAllows));
        var records = Records(text, data.Null()!);
        var topics = new Topics("site \"\u00e9\"", "gw<1>");

        records.Select(Gen.Bool).Sample((record, replayed) =>
        {
            var expected = WrittenByUtf8JsonWriter(record, topics, replayed, out var expectedEmbedded);

            var actual = Payloads.Event(record, topics, replayed, out var embedded);

            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
            Assert.Equal(expected, actual);
            Assert.Equal(expectedEmbedded, embedded);
        });
    }

    [Fact]
    public void The_same_data_text_gives_the_same_payload_every_time_and_bad_data_stays_bad()
    {
        var good = Record(data: """{"kind":"doorContact","active":false}""");
        var bad = Record(data: """{"kind":""");

        var first = Payloads.Event(good, Topics, false, out var firstEmbedded);
        var second = Payloads.Event(good, Topics, false, out var secondEmbedded);
        Payloads.Event(bad, Topics, false, out var badEmbedded);
        Payloads.Event(bad, Topics, false, out var badAgainEmbedded);

        Assert.Equal(first, second);
        Assert.True(firstEmbedded && secondEmbedded);
        Assert.False(badEmbedded || badAgainEmbedded);
    }

    // Journal records with texts from text (point and zone sometimes null) and data from data.
    private static Gen<JournalRecord> Records(Gen<string> text, Gen<string> data) =>
        from seq in Gen.Long[1, long.MaxValue]
        from id in Gen.Guid
        from millis in Gen.Long[0, 253_402_300_799_000]
        from type in text
        from point in text.Null()
        from zone in text.Null()
        from severity in Gen.Enum<Severity>()
        from drill in Gen.Bool
        from json in data
        select new JournalRecord(seq, id, DateTimeOffset.FromUnixTimeMilliseconds(millis), TimeSpan.Zero, type, point, zone, severity, drill, json);

    // The oracle: the event payload as Utf8JsonWriter writes it with its default options (the way
    // Payloads.Event wrote it before it was written by hand).
    private static byte[] WrittenByUtf8JsonWriter(JournalRecord record, Topics topics, bool replayed, out bool embedded)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteNumber("v", Payloads.Version);
        writer.WriteString("id", record.Id);
        writer.WriteString("site", topics.Site);
        writer.WriteString("gateway", topics.Gateway);
        writer.WriteNumber("seq", record.Seq);
        writer.WriteString("ts", Payloads.FormatTimestamp(record.Timestamp));
        writer.WriteString("type", record.Type);
        if (record.Point is { } point)
        {
            writer.WriteString("point", point);
        }

        if (record.Zone is { } zone)
        {
            writer.WriteString("zone", zone);
        }

        writer.WriteString("severity", Payloads.SeverityName(record.Severity));
        writer.WriteBoolean("drill", record.Drill);
        writer.WriteBoolean("replayed", replayed);
        writer.WritePropertyName("data");
        embedded = record.DataJson is { } json && json.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal) && TryWriteRaw(writer, json);
        if (!embedded)
        {
            writer.WriteRawValue(Payloads.EmptyData);
        }

        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static bool TryWriteRaw(Utf8JsonWriter writer, string json)
    {
        try
        {
            writer.WriteRawValue(json);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return false;
        }
    }
}
