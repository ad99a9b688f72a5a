using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EdgeGuard.Core.Commands;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>The shipped executable against real Mosquitto: a signed command end to end, and its replay after a restart.</summary>
public sealed class OfficeCommandProcessTests(ITestOutputHelper output)
{
    private const string Site = "embassy-demo";
    private const string Gateway = "gw-chancery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_office_lockdown_locks_the_real_gateway_and_its_replay_after_a_restart_is_refused()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        void WithOperator(JsonNode config) => config["EdgeGuard"]!["commands"] = new JsonObject
        {
            ["operators"] = new JsonArray(new JsonObject { ["name"] = jones.Name, ["role"] = jones.Role, ["publicKeyFile"] = jones.PublicKeyFile }),
        };
        await using var broker = await MosquittoBroker.StartAsync();
        // What the office sees, checked against docs/schemas at the end (the probes on the command
        // topic are not commands, so only the gateway's topics are captured).
        var capture = Path.Combine(state.Path, "capture.txt");
        using var sub = await ContractInteropTests.MosquittoSubAsync(broker, "capture", capture, ["-v"], $"edgeguard/v1/{Site}/{Gateway}/events", $"edgeguard/v1/{Site}/{Gateway}/command-results");
        await using var office = await OfficeClient.ConnectAsync(broker.Port, $"edgeguard/v1/{Site}/{Gateway}");
        var command = jones.Sign(CommandType.Lockdown, Site, Gateway, ttl: TimeSpan.FromMinutes(2));

        await using (var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port, WithOperator))
        {
            await WaitUntilListeningAsync(office, "first");
            var results = await office.SendAndWaitAsync(command, "lockdown", count: 2, timeout: Patience);
            output.WriteLine(gateway.Output);

            Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
            Assert.Contains("\"mode\":\"Lockdown\"", await gateway.SimAsync("status"), StringComparison.Ordinal);
        }

        await using var restarted = await GatewayProcess.StartAsync(state.Path, broker.Port, WithOperator);
        await WaitUntilListeningAsync(office, "second");
        // A verbatim copy would be answered "done" again (a redelivery); the same id with other bytes is a replay.
        var respelt = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(command).Replace(",", ", ", StringComparison.Ordinal));
        var replay = Assert.Single(await office.SendAndWaitAsync(respelt, "replay", timeout: Patience));

        Assert.Equal("rejected", replay.Result);
        Assert.StartsWith("replayed: ", replay.Reason, StringComparison.Ordinal);
        var types = (await JournalFile.EventsOnceAsync(restarted.DatabasePath, "command.rejected", Patience)).Select(e => e.Type).ToList();
        Assert.Contains("command.received", types);
        Assert.Contains("command.done", types);
        Assert.Equal("command.rejected", types.Last(t => t.StartsWith("command.", StringComparison.Ordinal)));
        await Eventually.TrueAsync(() => ContractInteropTests.ReadLines(capture).Any(l => l.Contains("\"type\":\"command.rejected\"", StringComparison.Ordinal) && l.Contains("replayed", StringComparison.Ordinal)), Patience, "the replay's journal event published");
        sub.Kill();
        Assert.Contains(ContractInteropTests.ReadLines(capture), l => l.Contains("/command-results {", StringComparison.Ordinal) && l.Contains("\"result\":\"done\"", StringComparison.Ordinal));
        Assert.Contains(ContractInteropTests.ReadLines(capture), l => l.Contains("\"type\":\"command.received\"", StringComparison.Ordinal));
        var (exitCode, report) = await ContractInteropTests.Validate(capture);
        output.WriteLine(report);
        Assert.True(exitCode == 0, report);
    }

    /// <summary>Probes with a malformed payload until the gateway answers one: its subscription is in place.</summary>
    private static async Task WaitUntilListeningAsync(OfficeClient office, string name)
    {
        var deadline = DateTime.UtcNow + Patience;
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            await office.SendAsync("probe"u8.ToArray(), $"probe-{name}-{i}");
            await Task.Delay(250);
            if (office.Results.Any(r => r.Correlation!.StartsWith($"probe-{name}-", StringComparison.Ordinal)))
            {
                return;
            }
        }

        throw new TimeoutException("the gateway never answered a probe on its command topic");
    }
}
