using System.Text;
using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The withheld event stub and <c>state/delivery</c>, as written, against the contract's schemas.</summary>
public sealed class DeliveryPayloadTests
{
    private static readonly Topics Topics = new("site-1", "gw-1");
    private static readonly DateTimeOffset At = new(2026, 11, 23, 19, 0, 0, 123, TimeSpan.Zero);

    private static JournalRecord Record(string type, string? point, string? zone, string data) =>
        new(7, Guid.CreateVersion7(At), At, TimeSpan.FromSeconds(1), type, point, zone, Severity.Critical, true, data);

    [Fact]
    public void A_stub_keeps_the_envelope_says_why_and_carries_no_data()
    {
        var record = Record("point.activated", "panic-1", "lobby", """{"kind":"panicButton","active":true}""");

        var json = JsonDocument.Parse(Payloads.WithheldEvent(record, Topics, replayed: true, "PacketTooLarge (149)")).RootElement;

        Assert.Equal(
            ["v", "id", "site", "gateway", "seq", "ts", "type", "point", "zone", "severity", "drill", "replayed", "withheld", "data"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(record.Id.ToString("D"), json.GetProperty("id").GetString());
        Assert.Equal(7, json.GetProperty("seq").GetInt64());
        Assert.Equal("2026-11-23T19:00:00.123Z", json.GetProperty("ts").GetString());
        Assert.Equal("critical", json.GetProperty("severity").GetString());
        Assert.True(json.GetProperty("drill").GetBoolean());
        Assert.True(json.GetProperty("replayed").GetBoolean());
        Assert.Equal("PacketTooLarge (149)", json.GetProperty("withheld").GetString());
        Assert.Equal("{}", json.GetProperty("data").GetRawText());
    }

    [Fact]
    public void A_stub_omits_point_and_zone_when_the_event_has_none_and_bounds_its_reason()
    {
        var json = JsonDocument.Parse(Payloads.WithheldEvent(Record("command.rejected", null, null, "{}"), Topics, false, new string('r', 5_000))).RootElement;

        Assert.False(json.TryGetProperty("point", out _));
        Assert.False(json.TryGetProperty("zone", out _));
        Assert.Equal(1_024, json.GetProperty("withheld").GetString()!.Length);
    }

    [Fact]
    public async Task Stubs_and_delivery_states_match_the_contract_schemas_and_broken_ones_do_not()
    {
        var stub = Text(Payloads.WithheldEvent(Record("point.activated", "panic-1", "lobby", "{}"), Topics, true, "PacketTooLarge (149)"));
        var stubWithoutPoint = Text(Payloads.WithheldEvent(Record("lockdown.started", null, null, "{}"), Topics, true, "PayloadFormatInvalid (153)"));
        var refused = Text(Payloads.DeliveryState(Topics, 42, "broker refused the event: NotAuthorized (135)", At, At.AddSeconds(1)));
        var ok = Text(Payloads.DeliveryState(Topics, null, null, null, At));
        Assert.Contains("\"seq\":null,\"reason\":null,\"since\":null,\"unheard\":null", ok, StringComparison.Ordinal);

        var (exitCode, report) = await ContractTool.ValidateAsync(
            [(Topics.Events, stub), (Topics.Events, stubWithoutPoint), (Topics.DeliveryState, refused), (Topics.DeliveryState, ok)]);
        Assert.True(exitCode == 0, report);
        Assert.EndsWith("4 passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);

        // The schemas must hold these to their shape, or the check above proves nothing.
        string[] broken =
        [
            stub.Replace("\"data\":{}", "\"data\":{\"kind\":\"panicButton\"}", StringComparison.Ordinal),
            stubWithoutPoint.Replace(",\"withheld\":\"PayloadFormatInvalid (153)\"", string.Empty, StringComparison.Ordinal),
            refused.Replace("\"status\":\"refused\"", "\"status\":\"ok\"", StringComparison.Ordinal),
            ok.Replace("\"status\":\"ok\"", "\"status\":\"refused\"", StringComparison.Ordinal),
        ];
        (exitCode, report) = await ContractTool.ValidateAsync(
            [(Topics.Events, broken[0]), (Topics.Events, broken[1]), (Topics.DeliveryState, broken[2]), (Topics.DeliveryState, broken[3])]);
        Assert.NotEqual(0, exitCode);
        Assert.EndsWith("0 passed, 4 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unheard_delivery_states_match_the_contract_schema_and_broken_ones_do_not()
    {
        var range = new UnheardSeqs(2001, 2040, At);
        var unheard = Text(Payloads.DeliveryState(Topics, null, null, null, range, At.AddSeconds(1)));
        var refusedToo = Text(Payloads.DeliveryState(Topics, 2041, "broker refused the event: QuotaExceeded (151)", At, range, At.AddSeconds(2)));
        Assert.Contains(
            "\"status\":\"unheard\",\"seq\":null,\"reason\":null,\"since\":null,\"unheard\":{\"fromSeq\":2001,\"throughSeq\":2040,\"since\":\"2026-11-23T19:00:00.123Z\"}",
            unheard,
            StringComparison.Ordinal);
        Assert.Contains("\"status\":\"refused\",\"seq\":2041", refusedToo, StringComparison.Ordinal); // the refusal is the more urgent

        var (exitCode, report) = await ContractTool.ValidateAsync([(Topics.DeliveryState, unheard), (Topics.DeliveryState, refusedToo)]);
        Assert.True(exitCode == 0, report);
        Assert.EndsWith("2 passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);

        string[] broken =
        [
            unheard.Replace("\"status\":\"unheard\"", "\"status\":\"ok\"", StringComparison.Ordinal),
            unheard.Replace(",\"since\":\"2026-11-23T19:00:00.123Z\"}", "}", StringComparison.Ordinal),
            Text(Payloads.DeliveryState(Topics, null, null, null, At)).Replace("\"status\":\"ok\"", "\"status\":\"unheard\"", StringComparison.Ordinal),
        ];
        (exitCode, report) = await ContractTool.ValidateAsync([.. broken.Select(b => (Topics.DeliveryState, b))]);
        Assert.NotEqual(0, exitCode);
        Assert.EndsWith("0 passed, 3 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resent_event_is_the_event_replayed_with_the_resend_id_before_data_and_matches_the_contract()
    {
        var record = Record("point.activated", "panic-1", "lobby", """{"kind":"panicButton","active":true}""");
        const string Id = "5d0c3b8e-2f1a-4c7d-9e6b-8a1f0c2d4e6f";

        var resent = Text(Payloads.ResentEvent(record, Topics, Id, out var dataEmbedded));

        Assert.True(dataEmbedded);
        Assert.Equal(
            Text(Payloads.Event(record, Topics, replayed: true, out _)).Replace(",\"data\":", $",\"resend\":\"{Id}\",\"data\":", StringComparison.Ordinal),
            resent);
        var (exitCode, report) = await ContractTool.ValidateAsync([(Topics.Events, resent)]);
        Assert.True(exitCode == 0, report);
        Assert.Throws<ArgumentException>(() => Payloads.ResentEvent(record, Topics, Id.ToUpperInvariant(), out _));
        (exitCode, report) = await ContractTool.ValidateAsync([(Topics.Events, resent.Replace("\"replayed\":true", "\"replayed\":false", StringComparison.Ordinal))]);
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public void An_unheard_range_runs_forwards()
    {
        Assert.Throws<ArgumentException>(() => Payloads.DeliveryState(Topics, null, null, null, new UnheardSeqs(5, 4, At), At));
        Assert.Throws<ArgumentException>(() => Payloads.DeliveryState(Topics, null, null, null, new UnheardSeqs(0, 4, At), At));
    }

    [Fact]
    public void A_delivery_state_is_ok_or_refused_never_half_of_each()
    {
        Assert.Throws<ArgumentException>(() => Payloads.DeliveryState(Topics, 42, null, null, At));
        Assert.Throws<ArgumentException>(() => Payloads.DeliveryState(Topics, null, "reason", null, At));
    }

    private static string Text(byte[] payload) => Encoding.UTF8.GetString(payload);
}
