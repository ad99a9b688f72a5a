using System.Collections.Immutable;
using System.Text.Json;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>The whole host: an office signs a command, the gateway's own subscriber verifies, journals and hands it to the controller.</summary>
public sealed class OfficeCommandHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_signed_lockdown_from_the_office_locks_the_site_and_is_answered_done_and_journaled()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        await using var gateway = await StartSubscribedAsync(state.Path, jones.Overrides());
        var site = gateway.Config.Site;
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");
        var command = jones.Sign(CommandType.Lockdown, site.SiteId, site.GatewayId);

        var results = await office.SendAndWaitAsync(command, "office-1", count: 2, timeout: Patience);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.All(results, r => Assert.Equal(System.Text.Json.JsonDocument.Parse(command).RootElement.GetProperty("id").GetString(), r.CommandId));
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lamp-lockdown")));
        await JournalFile.InStateDirectoryOnceAsync(state.Path, "command.received", Patience);

        // The same payload again (a broker redelivery, or a verbatim resend) is answered with its
        // final result and audited, not executed twice.
        var repeat = Assert.Single(await office.SendAndWaitAsync(command, "office-2", timeout: Patience));
        Assert.Equal("done", repeat.Result);
        await JournalFile.InStateDirectoryOnceAsync(state.Path, "command.repeated", Patience);

        // The same id with other bytes is a replay: refused, journaled, the site unchanged.
        var respelt = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(command).Replace(",", ", ", StringComparison.Ordinal));
        var replay = Assert.Single(await office.SendAndWaitAsync(respelt, "office-3", timeout: Patience));
        Assert.Equal("rejected", replay.Result);
        Assert.StartsWith("replayed: ", replay.Reason, StringComparison.Ordinal);
        await JournalFile.InStateDirectoryOnceAsync(state.Path, "command.rejected", Patience);
    }

    [Fact]
    public async Task Remote_all_clear_needs_two_different_supervisors_over_mqtt()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path, "sup.jones");
        using var smith = await OfficeOperator.CreateAsync(state.Path, "sup.smith");
        await using var gateway = await StartSubscribedAsync(state.Path, [.. jones.Overrides(0), .. smith.Overrides(1)]);
        var site = gateway.Config.Site;
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");
        byte[] Signed(CommandType type, OfficeOperator by) => by.Sign(type, site.SiteId, site.GatewayId);
        // The second result of each command: what the site made of it.
        async Task<(string Result, string? Reason)> Final(byte[] payload, string correlation)
        {
            var results = await office.SendAndWaitAsync(payload, correlation, count: 2, timeout: Patience);
            return (results[1].Result, results[1].Reason);
        }

        Assert.Equal("done", (await Final(Signed(CommandType.Lockdown, jones), "lockdown")).Result);
        var first = await Final(Signed(CommandType.AllClear, jones), "first");
        var again = await Final(Signed(CommandType.AllClear, jones), "again");
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        var second = await Final(Signed(CommandType.AllClear, smith), "second");

        Assert.Equal("done", first.Result); // counted, not yet lifted
        Assert.Equal("rejected", again.Result);
        Assert.Equal("done", second.Result);
        Assert.Equal(SiteMode.Normal, gateway.Controller.Snapshot!.State.Mode);
    }

    // An operator's name is no point id: what the office did has no envelope point, and the names
    // stay in the data. The events went out with operator names as their point before, against
    // event.schema.json's point pattern.
    [Fact]
    public async Task What_office_operators_did_is_published_within_the_contract_with_their_names_in_the_data()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path, "sup.jones");
        using var smith = await OfficeOperator.CreateAsync(state.Path, "sup.smith");
        await using var gateway = await StartSubscribedAsync(state.Path, [.. jones.Overrides(0), .. smith.Overrides(1)]);
        var site = gateway.Config.Site;
        var root = $"edgeguard/v1/{site.SiteId}/{site.GatewayId}";
        await using var events = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, $"{root}/events", "office-events", persistent: false);
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, root);
        var correlation = 0;
        async Task Done(CommandType type, OfficeOperator by, JsonObjectItem? args = null)
        {
            var results = await office.SendAndWaitAsync(by.Sign(type, site.SiteId, site.GatewayId, args), $"c-{++correlation}", count: 2, timeout: Patience);
            Assert.Equal("done", results[^1].Result);
        }

        await Done(CommandType.Lockdown, jones);
        await Done(CommandType.Lockdown, smith); // a retrigger
        await Done(CommandType.SetThreatLevel, jones, new JsonObjectItem(ImmutableSortedDictionary.CreateRange(
            StringComparer.Ordinal, [KeyValuePair.Create("level", (JsonItem)new JsonIntegerItem(3))])));
        await Done(CommandType.AllClear, jones);
        await Done(CommandType.AllClear, smith);

        var cleared = await events.WaitForAsync(r => r.Text.Contains("\"type\":\"lockdown.cleared\"", StringComparison.Ordinal), Patience, "lockdown.cleared");
        Assert.Equal("sup.jones+sup.smith", cleared.Json.GetProperty("data").GetProperty("clearedBy").GetString());
        var byOffice = events.Receipts.Where(r => r.Text.Contains("\"type\":\"lockdown.", StringComparison.Ordinal) || r.Text.Contains("\"type\":\"threat.", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["lockdown.started", "lockdown.retriggered", "threat.level-changed", "lockdown.cleared"],
            byOffice.Select(r => r.Json.GetProperty("type").GetString()));
        Assert.All(byOffice, r => Assert.False(r.Json.TryGetProperty("point", out _), r.Text));

        var capture = Path.Combine(state.Path, "capture.txt");
        await File.WriteAllLinesAsync(capture, events.Receipts.Select(r => $"{r.Topic} {r.Text}"));
        var (exitCode, report) = await ContractInteropTests.Validate(capture);
        Assert.True(exitCode == 0, report);
        Assert.EndsWith($"{events.Receipts.Count} passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_office_acknowledges_the_lockdown_bypasses_a_door_asks_for_a_rebirth_and_every_step_is_journaled()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        await using var gateway = await StartSubscribedAsync(state.Path, jones.Overrides());

        var site = gateway.Config.Site;
        var root = $"edgeguard/v1/{site.SiteId}/{site.GatewayId}";
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, root);
        await using var points = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, $"{root}/state/points/#", "office-state", persistent: false);
        var correlation = 0;
        async Task<ResultReceipt> Final(CommandType type, params (string Key, string Value)[] args)
        {
            var arguments = new JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => (JsonItem)new JsonStringItem(a.Value), StringComparer.Ordinal));
            var results = await office.SendAndWaitAsync(jones.Sign(type, site.SiteId, site.GatewayId, arguments), $"c-{++correlation}", count: 2, timeout: Patience);
            return results[^1];
        }

        Assert.Equal("done", (await Final(CommandType.Lockdown)).Result);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("siren-main")));

        // Acknowledge: the siren stops, the lockdown and its lamp go on.
        var started = (await JournalFile.InStateDirectoryOnceAsync(state.Path, "lockdown.started", Patience)).Single(e => e.Type == "lockdown.started");
        var ack = await Final(CommandType.Acknowledge, ("event_id", started.Id));
        Assert.Equal("done", ack.Result);
        Assert.False(gateway.Driver.GetOutputLevel(gateway.LineOf("siren-main")));
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lamp-lockdown")));
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);

        // Bypass the lobby door: opened in the lockdown it is reported, flagged, and not forced.
        var until = WireTime.Format(DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal("done", (await Final(CommandType.Bypass, ("point", "door-lobby"), ("until", until))).Result);
        var refused = await Final(CommandType.Bypass, ("point", "panic-lobby"), ("until", until));
        Assert.Equal("rejected", refused.Result);
        Assert.Contains("never bypassed", refused.Reason, StringComparison.Ordinal);
        var door = site.Point("door-lobby");
        gateway.Driver.SetInputLevel(door.Line, door.LevelFor(active: true));
        await Eventually.TrueAsync(() => JournalFile.InStateDirectory(state.Path).Any(e => e.Type == "point.activated" && e.Data.Contains("\"bypassed\":true", StringComparison.Ordinal)), Patience, "the bypassed door's opening journaled");
        await points.WaitForAsync(r => r.Topic.EndsWith("/door-lobby", StringComparison.Ordinal) && r.Json.GetProperty("bypassedUntil").GetString() == until, Patience, "door-lobby state with its bypass");

        // Rebirth: every point's retained state comes again after the request's event.
        var before = points.On($"{root}/state/points/panic-lobby").Count;
        Assert.Equal("done", (await Final(CommandType.Rebirth)).Result);
        await Eventually.TrueAsync(() => points.On($"{root}/state/points/panic-lobby").Count > before, Patience, "panic-lobby state republished");

        // Back in service while open in a lockdown: the door is forced now.
        Assert.Equal("done", (await Final(CommandType.Unbypass, ("point", "door-lobby"))).Result);
        await Eventually.TrueAsync(() => JournalFile.InStateDirectory(state.Path).Any(e => e.Type == "door.forced"), Patience, "door.forced after the unbypass");

        var types = JournalFile.InStateDirectory(state.Path).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "alarm.acknowledged"));
        Assert.Equal(1, types.Count(t => t == "point.bypassed"));
        Assert.Equal(1, types.Count(t => t == "point.unbypassed"));
        Assert.Equal(1, types.Count(t => t == "gateway.rebirth"));
        Assert.Equal(6, types.Count(t => t == "command.received"));
        Assert.Equal(1, types.Count(t => t == "command.refused"));
    }

    [Fact]
    public async Task The_command_session_outlives_a_gateway_absence_exactly_as_long_as_a_queued_command_stays_valid()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides: ["EdgeGuard:commands:maxLifetimeSeconds=1800", "EdgeGuard:commands:clockSkewSeconds=20"]);

        Assert.Equal(TimeSpan.FromSeconds(1820), gateway.Host.Services.GetRequiredService<CommandSubscriber>().Options.SessionExpiry);
    }

    [Fact]
    public async Task The_office_has_journaled_events_resent_flagged_and_a_bad_range_is_refused_naming_the_problem()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        await using var gateway = await StartSubscribedAsync(state.Path, jones.Overrides());
        var site = gateway.Config.Site;
        var root = $"edgeguard/v1/{site.SiteId}/{site.GatewayId}";
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, root);
        await using var events = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, $"{root}/events", "office-events", persistent: false);
        var publisher = gateway.Host.Services.GetRequiredService<OutboxPublisher>();
        await Eventually.TrueAsync(() => publisher.IsCaughtUp && publisher.AcknowledgedThrough >= 1, Patience, "the boot's events delivered");
        var through = publisher.AcknowledgedThrough;
        static JsonObjectItem Range(long from, long to) => new(ImmutableSortedDictionary<string, JsonItem>.Empty
            .Add("from", new JsonIntegerItem(from)).Add("to", new JsonIntegerItem(to)));

        var command = jones.Sign(CommandType.Resend, site.SiteId, site.GatewayId, Range(1, through));
        var id = System.Text.Json.JsonDocument.Parse(command).RootElement.GetProperty("id").GetString();
        var results = await office.SendAndWaitAsync(command, "r-1", count: 2, timeout: Patience);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        await Eventually.TrueAsync(() => Resent(events, id).Count == through, Patience, $"seqs 1 to {through} resent");
        Assert.Equal(Enumerable.Range(1, (int)through).Select(i => (long)i), Resent(events, id).Select(r => r.Json.GetProperty("seq").GetInt64()));
        Assert.All(Resent(events, id), r => Assert.True(r.Json.GetProperty("replayed").GetBoolean()));
        // Its end comes in the stream, journaled: the office can stop waiting.
        var ended = await events.WaitForAsync(
            r => r.Json.GetProperty("type").GetString() == "resend.ended" && r.Json.GetProperty("data").GetProperty("resend").GetString() == id,
            Patience,
            "resend.ended");
        Assert.Equal(JsonValueKind.Null, ended.Json.GetProperty("data").GetProperty("problem").ValueKind);
        Assert.Equal(through, ended.Json.GetProperty("data").GetProperty("settledThrough").GetInt64());

        // The office's signed word that it has them: carried out by the host, answered done.
        var heard = await office.SendAndWaitAsync(
            jones.Sign(CommandType.Heard, site.SiteId, site.GatewayId, new JsonObjectItem(ImmutableSortedDictionary<string, JsonItem>.Empty.Add("through", new JsonIntegerItem(through)))),
            "h-1",
            count: 2,
            timeout: Patience);
        Assert.Equal(["accepted", "done"], heard.Select(r => r.Result));
        Assert.StartsWith($"the office has every event through seq {through}: ", heard[^1].Reason, StringComparison.Ordinal);

        var beyond = await office.SendAndWaitAsync(jones.Sign(CommandType.Resend, site.SiteId, site.GatewayId, Range(1, through + 1_000)), "r-2", count: 2, timeout: Patience);
        Assert.Equal("rejected", beyond[^1].Result);
        Assert.StartsWith($"beyond the last seq: to {through + 1_000} is after ", beyond[^1].Reason, StringComparison.Ordinal);

        var journal = await JournalFile.InStateDirectoryOnceAsync(state.Path, "command.refused", Patience);
        Assert.Single(journal, e => e.Type == "command.done" && e.Data.Contains("\"commandType\":\"resend\"", StringComparison.Ordinal));
        Assert.Single(journal, e => e.Type == "command.refused" && e.Data.Contains("beyond the last seq", StringComparison.Ordinal));
        Assert.True(publisher.AcknowledgedThrough >= through);
    }

    private static List<Receipt> Resent(TestSubscriber events, string? id) =>
        [.. events.Receipts.Where(r => r.Json.TryGetProperty("resend", out var resend) && resend.GetString() == id)];

    [Fact]
    public async Task After_a_restart_acknowledging_the_lockdown_start_silences_the_siren_that_sounds_again()
    {
        // The siren sounds again after a restart for the alert before it; the office acknowledges
        // that alert's event. The restart used to reset the siren's start to the boot, so nothing
        // the office could acknowledge silenced it.
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        async Task<ResultReceipt> Final(TestGateway gateway, CommandType type, params (string Key, string Value)[] args)
        {
            var site = gateway.Config.Site;
            await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");
            var arguments = new JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => (JsonItem)new JsonStringItem(a.Value), StringComparer.Ordinal));
            var results = await office.SendAndWaitAsync(jones.Sign(type, site.SiteId, site.GatewayId, arguments), $"c-{type}", count: 2, timeout: Patience);
            return results[^1];
        }

        await using (var before = await StartSubscribedAsync(state.Path, jones.Overrides()))
        {
            Assert.Equal("done", (await Final(before, CommandType.Lockdown)).Result);
        }

        var started = (await JournalFile.InStateDirectoryOnceAsync(state.Path, "lockdown.started", Patience)).Single(e => e.Type == "lockdown.started");
        await using var after = await StartSubscribedAsync(state.Path, jones.Overrides());
        Assert.True(after.Driver.GetOutputLevel(after.LineOf("siren-main")), "the siren sounds again after the restart");

        var ack = await Final(after, CommandType.Acknowledge, ("event_id", started.Id));

        Assert.Equal("done", ack.Result);
        Assert.False(after.Driver.GetOutputLevel(after.LineOf("siren-main")));
        Assert.True(after.Driver.GetOutputLevel(after.LineOf("lamp-lockdown")));
        Assert.Equal(SiteMode.Lockdown, after.Controller.Snapshot!.State.Mode);
    }

    private static async Task<TestGateway> StartSubscribedAsync(string stateDirectory, IReadOnlyList<string> overrides)
    {
        var gateway = await TestGateway.StartAsync(stateDirectory, overrides: overrides);
        using var subscribed = new CancellationTokenSource(Patience);
        await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        return gateway;
    }
}
