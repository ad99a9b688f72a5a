using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using Microsoft.Data.Sqlite;
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
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");
        var command = CommandSigner.Sign(CommandSigner.Create(CommandType.Lockdown, site.SiteId, site.GatewayId, "sup.jones", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60)), key);

        var results = await office.SendAndWaitAsync(command.ToPayload(), "office-1", count: 2, timeout: Patience);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.All(results, r => Assert.Equal(command.Id, r.CommandId));
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lamp-lockdown")));
        Assert.Contains("command.received", JournaledTypes(state.Path));

        // The same payload again is a replay: refused, journaled, the site unchanged.
        var replay = Assert.Single(await office.SendAndWaitAsync(command.ToPayload(), "office-2", timeout: Patience));
        Assert.Equal("rejected", replay.Result);
        Assert.StartsWith("replayed: ", replay.Reason, StringComparison.Ordinal);
        Assert.Contains("command.rejected", JournaledTypes(state.Path));
    }

    [Fact]
    public async Task Remote_all_clear_needs_two_different_supervisors_over_mqtt()
    {
        using var state = new TempDirectory();
        using var jones = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var smith = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var overrides = new List<string>();
        foreach (var (name, key, index) in new[] { ("sup.jones", jones, 0), ("sup.smith", smith, 1) })
        {
            var file = Path.Combine(state.Path, $"{name}.pub.pem");
            await File.WriteAllTextAsync(file, key.ExportSubjectPublicKeyInfoPem());
            overrides.AddRange([$"EdgeGuard:commands:operators:{index}:name={name}", $"EdgeGuard:commands:operators:{index}:role=supervisor", $"EdgeGuard:commands:operators:{index}:publicKeyFile={file}"]);
        }

        await using var gateway = await TestGateway.StartAsync(state.Path, overrides: overrides);
        using (var subscribed = new CancellationTokenSource(Patience))
        {
            await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        }

        var site = gateway.Config.Site;
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");
        byte[] Signed(CommandType type, string name, ECDsa key) =>
            CommandSigner.Sign(CommandSigner.Create(type, site.SiteId, site.GatewayId, name, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60)), key).ToPayload();
        // The second result of each command: what the site made of it.
        async Task<(string Result, string? Reason)> Final(byte[] payload, string correlation)
        {
            var results = await office.SendAndWaitAsync(payload, correlation, count: 2, timeout: Patience);
            return (results[1].Result, results[1].Reason);
        }

        Assert.Equal("done", (await Final(Signed(CommandType.Lockdown, "sup.jones", jones), "lockdown")).Result);
        var first = await Final(Signed(CommandType.AllClear, "sup.jones", jones), "first");
        var again = await Final(Signed(CommandType.AllClear, "sup.jones", jones), "again");
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        var second = await Final(Signed(CommandType.AllClear, "sup.smith", smith), "second");

        Assert.Equal("done", first.Result); // counted, not yet lifted
        Assert.Equal("rejected", again.Result);
        Assert.Equal("done", second.Result);
        Assert.Equal(SiteMode.Normal, gateway.Controller.Snapshot!.State.Mode);
    }

    private static List<string> JournaledTypes(string stateDirectory)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(stateDirectory, "edgeguard.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT type FROM events ORDER BY seq;";
        using var reader = query.ExecuteReader();
        var types = new List<string>();
        while (reader.Read())
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }
}
