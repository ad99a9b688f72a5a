using System.Text;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The office → gateway command path over real Mosquitto: verify, journal, answer with correlation data, execute.</summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandSubscriberTests(ITestOutputHelper output)
{
    private static JsonObjectItem Args(string json) => CommandHarness.Args(json);

    private static string Sha256(byte[] payload) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload));

    private static byte[] Replace(byte[] payload, string from, string to)
    {
        var text = Encoding.UTF8.GetString(payload);
        Assert.Contains(from, text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signed_command_is_accepted_journaled_executed_and_done_with_the_correlation_data()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        var payload = gateway.Sign(CommandType.Lockdown);
        var results = await office.SendAndWaitAsync(payload, "req-1", count: 2);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        // Both answers name the exact bytes sent: the correlation data alone is anyone's to copy.
        Assert.All(results, r => Assert.Equal(Sha256(payload), r.Json.GetProperty("payload_sha256").GetString()));
        Assert.All(results, r => Assert.Null(r.Reason));
        Assert.All(results, r => Assert.Equal("application/json", r.ContentType));
        var executed = Assert.Single(gateway.Executor.Executed);
        Assert.Equal(CommandType.Lockdown, executed.Command.Type);
        Assert.Equal(OperatorRole.Supervisor, executed.Role);
        Assert.All(results, r => Assert.Equal(executed.Command.Id, r.CommandId));
        var received = Assert.IsType<CommandReceived>(Assert.Single(gateway.Journal.Events));
        Assert.Equal((executed.Command.Id, "command.received", "sup.jones"), (received.CommandId, received.Type, received.Operator));
    }

    [Fact]
    public async Task Every_rejection_is_answered_and_journaled_and_the_gateway_keeps_serving()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var now = DateTimeOffset.UtcNow;
        var replayed = gateway.Sign(CommandType.Rebirth);
        Assert.Equal("accepted", (await office.SendAndWaitAsync(replayed, "first", count: 2))[0].Result);

        (string Name, byte[] Payload, bool Retain, string Code)[] cases =
        [
            ("unknown key", gateway.Sign(@operator: "nobody", key: gateway.Stranger), false, "unknown-operator"),
            ("bad signature", gateway.Sign(key: gateway.Stranger), false, "bad-signature"),
            ("altered payload", Replace(gateway.Sign(CommandType.Lockdown), "\"type\":\"lockdown\"", "\"type\":\"evacuate\""), false, "bad-signature"),
            ("expired", gateway.Sign(issuedAt: now.AddMinutes(-10)), false, "expired"),
            // The same id in other bytes (a verbatim copy would be a redelivery, answered "done" again).
            ("replayed", Replace(replayed, ",", ", "), false, "replayed"),
            ("retained", gateway.Sign(), true, "retained"),
            ("wrong role", gateway.Sign(CommandType.DrillStart, "guard.smith", gateway.Guard, args: Args("{\"scenario\":\"drill-1\"}")), false, "role-not-allowed"),
            ("wrong gateway", gateway.Sign(gateway: "gw-2"), false, "wrong-gateway"),
            ("malformed JSON", "{\"id\": \"x\", "u8.ToArray(), false, "malformed"),
            ("wrong types", Replace(gateway.Sign(), "\"args\":{}", "\"args\":[]"), false, "invalid-field"),
            ("oversized", Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('a', 9_000) + "\"}"), false, "oversized"),
        ];

        foreach (var (name, payload, retain, code) in cases)
        {
            var result = Assert.Single(await office.SendAndWaitAsync(payload, name, retain: retain));
            Assert.True(result.Result == "rejected" && result.Reason!.StartsWith(code + ": ", StringComparison.Ordinal), $"{name}: {result.Result} {result.Reason}");
            // The bytes this answer is about, also those never parsed: the replayed variant carries
            // the first command's id, and only this hash tells the office it is not its command.
            Assert.True(Sha256(payload) == result.Json.GetProperty("payload_sha256").GetString(), name);
        }

        // A retained command stays on the broker; clearing it (an empty retained message) reaches
        // the gateway too and is answered like any other malformed payload.
        var clear = Assert.Single(await office.SendAndWaitAsync([], "clear", retain: true));
        Assert.Equal(("rejected", Sha256([])), (clear.Result, clear.Json.GetProperty("payload_sha256").GetString()));
        Assert.Single(gateway.Executor.Executed);
        var rejected = gateway.Journal.Events.OfType<CommandRejected>().Take(cases.Length).ToList();
        Assert.Equal(cases.Select(c => c.Code), rejected.Select(r => r.Rejection.Code()));
        Assert.Equal("nobody", rejected[0].Operator);
        Assert.Equal(CommandType.Evacuate, rejected[2].CommandType); // what the altered payload claims

        // Still serving.
        var after = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after", count: 2);
        Assert.Equal(["accepted", "done"], after.Select(r => r.Result));
        Assert.True(gateway.Subscriber!.IsSubscribed);
    }

    [Fact]
    public async Task After_a_gateway_restart_the_sqlite_store_refuses_a_replay_and_answers_a_verbatim_copy_with_its_result()
    {
        var directory = Directory.CreateTempSubdirectory("edgeguard-commands-").FullName;
        try
        {
            await using var broker = await MosquittoBroker.StartAsync();
            await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
            byte[] payload;
            using var supervisor = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var path = Path.Combine(directory, JournalDatabase.FileName);
            using (var database = JournalDatabase.Open(path))
            {
                await using var first = new CommandHarness(output, broker.Port, new SqliteSeenCommandIds(database), supervisor: supervisor);
                await first.StartAsync();
                payload = first.Sign(CommandType.Lockdown);
                Assert.Equal(["accepted", "done"], (await office.SendAndWaitAsync(payload, "before", count: 2)).Select(r => r.Result));
            }

            using var reopened = JournalDatabase.Open(path);
            await using var second = new CommandHarness(output, broker.Port, new SqliteSeenCommandIds(reopened), supervisor: supervisor);
            await second.StartAsync();
            var result = Assert.Single(await office.SendAndWaitAsync(Replace(payload, ",", ", "), "after-restart"));
            var copy = Assert.Single(await office.SendAndWaitAsync(payload, "copy-after-restart"));

            Assert.Equal("rejected", result.Result);
            Assert.StartsWith("replayed: ", result.Reason, StringComparison.Ordinal);
            Assert.Equal(("done", null), (copy.Result, copy.Reason));
            Assert.NotEqual(Sha256(payload), result.Json.GetProperty("payload_sha256").GetString());
            Assert.Equal(Sha256(payload), copy.Json.GetProperty("payload_sha256").GetString());
            Assert.Empty(second.Executor.Executed);
            Assert.Equal(CommandRejection.Replayed, Assert.IsType<CommandRejected>(second.Journal.Events[0]).Rejection);
            var repeated = Assert.IsType<CommandRepeated>(second.Journal.Events[1]);
            Assert.Equal(("done", Severity.Info), (repeated.Answer, repeated.Severity));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_sites_refusal_follows_the_acceptance_and_a_failing_executor_is_answered_too()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        gateway.Executor.Answer = _ => new CommandExecution(false, "a panic button is still held");
        var refused = await office.SendAndWaitAsync(gateway.Sign(CommandType.AllClear), "refused", count: 2);
        gateway.Executor.Answer = _ => throw new InvalidOperationException("controller stopped");
        var failed = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "failed", count: 2);
        gateway.Executor.Answer = _ => new CommandExecution(true, "first approval counted; waiting for a second supervisor");
        var counted = await office.SendAndWaitAsync(gateway.Sign(CommandType.AllClear), "counted", count: 2);

        Assert.Equal([("accepted", null), ("rejected", "a panic button is still held")], refused.Select(r => (r.Result, r.Reason)));
        Assert.Equal("rejected", failed[1].Result);
        // The exception's text stays in the gateway's log (a journal error names the database's path),
        // and the journal shows the command ended, never only received.
        Assert.Equal("failed: the gateway failed on this command; see its log", failed[1].Reason);
        var ended = Assert.Single(gateway.Journal.Events.OfType<CommandRejected>(), r => r.CommandType == CommandType.Lockdown);
        Assert.Equal(CommandRejection.Unavailable, ended.Rejection);
        Assert.Contains("InvalidOperationException", ended.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("controller stopped", ended.Detail, StringComparison.Ordinal);
        Assert.Equal([("accepted", null), ("done", "first approval counted; waiting for a second supervisor")], counted.Select(r => (r.Result, r.Reason)));
    }

    [Fact]
    public async Task A_command_that_cannot_be_journaled_is_refused_and_not_executed()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        gateway.Journal.Fail = true;

        var result = Assert.Single(await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "no-journal"));

        Assert.Equal("rejected", result.Result);
        Assert.StartsWith("unavailable: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
    }

    [Fact]
    public async Task A_command_sent_while_the_gateway_was_away_is_kept_by_its_persistent_session_and_answered_on_return()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        using var supervisor = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await using (var before = new CommandHarness(output, broker.Port, supervisor: supervisor))
        {
            await before.StartAsync();
        }

        // Gateway away (orderly stop: the broker keeps its session and queues QoS 1 commands).
        await using var after = new CommandHarness(output, broker.Port, supervisor: supervisor);
        await office.SendAsync(after.Sign(CommandType.Lockdown), "while-away");
        await after.StartAsync();

        var results = await office.WaitForAsync("while-away", count: 2);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.Single(after.Executor.Executed);
    }

    [Fact]
    public async Task A_retained_command_waiting_on_the_broker_is_refused_when_the_gateway_subscribes()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await using var gateway = new CommandHarness(output, broker.Port);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "stale", retain: true);

        await gateway.StartAsync();

        var result = Assert.Single(await office.WaitForAsync("stale"));
        Assert.Equal("rejected", result.Result);
        Assert.StartsWith("retained: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
    }

    // A retained command stays on the broker, and with the default Retain Handling (0) it was sent
    // again at every re-subscribe, session present or not: every reconnect of the command
    // connection (a broker restart, a link flap) journaled a new `command.rejected` alarm for it.
    [Fact]
    public async Task A_retained_command_raises_one_alarm_not_one_at_every_reconnect()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using (var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root))
        {
            var first = Assert.Single(await office.SendAndWaitAsync(gateway.Sign(), "retained-once", retain: true));
            Assert.StartsWith("retained: ", first.Reason, StringComparison.Ordinal);
        }

        for (var restart = 0; restart < 2; restart++)
        {
            await broker.StopAsync();
            await Eventually.TrueAsync(() => !gateway.Subscriber!.IsSubscribed, TimeSpan.FromSeconds(15), "connection lost");
            await broker.StartAgainAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await gateway.Subscriber!.WaitUntilSubscribedAsync(cts.Token);
        }

        // What a re-sent retained message would have reached by now; a live command after it
        // shows the connection is serving (and, answered, that anything before it was handled).
        await using (var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root))
        {
            Assert.Equal(["accepted", "done"], (await office.SendAndWaitAsync(gateway.Sign(CommandType.Rebirth), "after", count: 2)).Select(r => r.Result));
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        var alarms = gateway.Journal.Events.OfType<CommandRejected>().Where(e => e.Rejection == CommandRejection.Retained).ToList();
        output.WriteLine($"retained alarms: {alarms.Count}");
        Assert.Single(alarms);
    }

    // The log of the loss names what MQTTnet saw (a technician reading it could not tell a broker
    // gone from one that closed the connection for a bad packet).
    [Fact]
    public async Task After_a_broker_outage_the_subscriber_reconnects_and_serves_again()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var log = new RecordingLog<CommandSubscriber>(output);
        await using var gateway = new CommandHarness(output, broker.Port, subscriberLog: log);
        await gateway.StartAsync();

        await broker.StopAsync(graceful: false);
        await Eventually.TrueAsync(() => !gateway.Subscriber!.IsSubscribed, TimeSpan.FromSeconds(15), "the subscriber noticing the outage");
        var lost = Assert.Single(log.Lines, l => l.EventId == 324);
        Assert.StartsWith("Command connection lost (disconnected: ", lost.Message, StringComparison.Ordinal);
        await broker.StartAgainAsync();
        using (var back = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await gateway.Subscriber!.WaitUntilSubscribedAsync(back.Token);
        }

        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after-outage", count: 2);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
    }

    // At QoS 0 commands are at most once: not queued by the persistent session while the link is
    // down, and lost in a flood drop. The gateway subscribes anyway and says so in its log. (On
    // Mosquitto, max_qos 0 also refuses QoS 1 PUBLISHes with DISCONNECT QoSNotSupported, the
    // office's commands and the gateway's results alike: the warning is what names the cause.)
    [Fact]
    public async Task A_broker_that_grants_the_command_topic_QoS_0_only_is_subscribed_with_a_warning_naming_the_topic()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MaxQos = 0 });
        var log = new RecordingLog<CommandSubscriber>(output);
        await using var gateway = new CommandHarness(output, broker.Port, subscriberLog: log);
        await gateway.StartAsync();

        var warning = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning);
        Assert.Equal(339, warning.EventId);
        Assert.StartsWith($"The broker granted {CommandHarness.Root}/commands at QoS 0 only: ", warning.Message, StringComparison.Ordinal);
        Assert.True(gateway.Subscriber!.IsSubscribed);
    }

    [Fact]
    public async Task The_command_connection_announces_a_small_receive_maximum()
    {
        await using var gateway = new CommandHarness(output, brokerPort: MosquittoBroker.FreePort());

        Assert.Equal(16, gateway.Subscriber!.Options.ReceiveMaximum);
        Assert.Equal((ushort)16, gateway.Subscriber.ConnectOptions().ReceiveMaximum);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CommandSubscriber(
            gateway.Subscriber.Options with { ReceiveMaximum = 0 }, gateway.Handler, TimeProvider.System, NullLogger<CommandSubscriber>.Instance));
    }
}
