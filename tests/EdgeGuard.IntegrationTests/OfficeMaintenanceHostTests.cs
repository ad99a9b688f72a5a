using System.Collections.Immutable;
using System.Security.Cryptography;
using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// Acknowledge, bypass/unbypass and rebirth through the whole host on real Mosquitto: signed by
/// the office, verified and journaled by the gateway's subscriber, decided by the controller.
/// </summary>
public sealed class OfficeMaintenanceHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_office_acknowledges_the_lockdown_bypasses_a_door_asks_for_a_rebirth_and_every_step_is_journaled()
    {
        using var state = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(state.Path, "sup.jones.pub.pem");
        await File.WriteAllTextAsync(publicKey, key.ExportSubjectPublicKeyInfoPem());
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides:
        [
            "EdgeGuard:commands:operators:0:name=sup.jones",
            "EdgeGuard:commands:operators:0:role=supervisor",
            $"EdgeGuard:commands:operators:0:publicKeyFile={publicKey}",
        ]);
        using (var subscribed = new CancellationTokenSource(Patience))
        {
            await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        }

        var site = gateway.Config.Site;
        var root = $"edgeguard/v1/{site.SiteId}/{site.GatewayId}";
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, root);
        await using var points = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, $"{root}/state/points/#", "office-state", persistent: false);
        var correlation = 0;
        async Task<ResultReceipt> Final(CommandType type, params (string Key, string Value)[] args)
        {
            var arguments = new JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => (JsonItem)new JsonStringItem(a.Value), StringComparer.Ordinal));
            var command = CommandSigner.Create(type, site.SiteId, site.GatewayId, "sup.jones", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60), arguments);
            var results = await office.SendAndWaitAsync(CommandSigner.Sign(command, key).ToPayload(), $"c-{++correlation}", count: 2, timeout: Patience);
            return results[^1];
        }

        Assert.Equal("done", (await Final(CommandType.Lockdown)).Result);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("siren-main")));

        // Acknowledge: the siren stops, the lockdown and its lamp go on.
        var started = Journaled(state.Path).Single(e => e.Type == "lockdown.started");
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
        await Eventually.TrueAsync(() => Journaled(state.Path).Any(e => e.Type == "point.activated" && e.Data.Contains("\"bypassed\":true", StringComparison.Ordinal)), Patience, "the bypassed door's opening journaled");
        await points.WaitForAsync(r => r.Topic.EndsWith("/door-lobby", StringComparison.Ordinal) && r.Json.GetProperty("bypassedUntil").GetString() == until, Patience, "door-lobby state with its bypass");

        // Rebirth: every point's retained state comes again after the request's event.
        var before = points.On($"{root}/state/points/panic-lobby").Count;
        Assert.Equal("done", (await Final(CommandType.Rebirth)).Result);
        await Eventually.TrueAsync(() => points.On($"{root}/state/points/panic-lobby").Count > before, Patience, "panic-lobby state republished");

        // Back in service while open in a lockdown: the door is forced now.
        Assert.Equal("done", (await Final(CommandType.Unbypass, ("point", "door-lobby"))).Result);
        await Eventually.TrueAsync(() => Journaled(state.Path).Any(e => e.Type == "door.forced"), Patience, "door.forced after the unbypass");

        var types = Journaled(state.Path).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "alarm.acknowledged"));
        Assert.Equal(1, types.Count(t => t == "point.bypassed"));
        Assert.Equal(1, types.Count(t => t == "point.unbypassed"));
        Assert.Equal(1, types.Count(t => t == "gateway.rebirth"));
        Assert.Equal(6, types.Count(t => t == "command.received"));
        Assert.Equal(1, types.Count(t => t == "command.refused"));
    }

    private static List<(string Id, string Type, string Data)> Journaled(string stateDirectory)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(stateDirectory, "edgeguard.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, type, data FROM events ORDER BY seq;";
        using var reader = query.ExecuteReader();
        var events = new List<(string, string, string)>();
        while (reader.Read())
        {
            events.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return events;
    }
}
