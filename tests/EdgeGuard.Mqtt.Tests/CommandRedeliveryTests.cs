using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// QoS 1 is at least once: a command whose PUBACK never reached the broker comes again, and a
/// stop must not lose what was accepted. Real Mosquitto, a real SQLite replay store.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandRedeliveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Takes the gateway's persistent session over, as a second connection with its client id: the
    /// broker drops the gateway's link at once, so an acknowledgement not yet sent is lost, and
    /// offers the unacknowledged command again when the gateway reconnects. Never acknowledges
    /// anything itself, and keeps the session's expiry so the session outlives it.
    /// </summary>
    private static async Task<IMqttClient> TakeOverSessionAsync(int port, CommandSubscriberOptions gateway)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += args =>
        {
            args.AutoAcknowledge = false;
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(gateway.ClientId).WithCleanStart(false).WithSessionExpiryInterval((uint)gateway.SessionExpiry.TotalSeconds).Build();
        await client.ConnectAsync(options);
        return client;
    }

    [Fact]
    public async Task A_command_redelivered_because_its_puback_was_lost_is_executed_once_and_never_called_a_replay()
    {
        using var temp = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        using var database = JournalDatabase.Open(temp.File(JournalDatabase.FileName));
        await using var gateway = new CommandHarness(output, broker.Port, new SqliteSeenCommandIds(database));
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var (held, release) = gateway.Journal.HoldNextReceived();

        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "lost-puback");
        await held.WaitAsync(Patience);
        // The id is recorded and the attempt being journaled: now the link drops, before the PUBACK.
        using var thief = await TakeOverSessionAsync(broker.Port, gateway.Subscriber!.Options);
        release.SetResult();

        await Eventually.TrueAsync(() => gateway.Journal.Events.Any(e => e is CommandRepeated), Patience, "the redelivery handled");
        await office.WaitForAsync("lost-puback", count: 2);
        await Eventually.TrueAsync(() => office.Results.Any(r => r.Correlation == "lost-puback" && r.Result == "done"), Patience, "a done result");

        Assert.Single(gateway.Executor.Executed);
        Assert.DoesNotContain(office.Results, r => r.Result == "rejected");
        Assert.DoesNotContain(gateway.Journal.Events, e => e is CommandRejected);
        Assert.All(gateway.Journal.Events, e => Assert.NotEqual(Severity.Alarm, e.Severity));
    }

    [Fact]
    public async Task A_command_cut_short_by_a_graceful_stop_before_its_puback_is_executed_at_the_next_start()
    {
        using var temp = new TempDirectory();
        var path = temp.File(JournalDatabase.FileName);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        using var supervisor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var database = JournalDatabase.Open(path))
        {
            await using var first = new CommandHarness(output, broker.Port, new SqliteSeenCommandIds(database), supervisor: supervisor);
            await first.StartAsync();
            var (held, _) = first.Journal.HoldNextReceived();
            await office.SendAsync(first.Sign(CommandType.Lockdown), "across-stop");
            await held.WaitAsync(Patience);
            // Disposing stops the subscriber while the command waits for the journal: recorded, not acknowledged.
        }

        using var reopened = JournalDatabase.Open(path);
        await using var second = new CommandHarness(output, broker.Port, new SqliteSeenCommandIds(reopened), supervisor: supervisor);
        await second.StartAsync();

        var results = await office.WaitForAsync("across-stop", count: 2);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.Single(second.Executor.Executed);
        Assert.IsType<CommandReceived>(Assert.Single(second.Journal.Events));
    }

    [Fact]
    public async Task A_graceful_stop_executes_and_answers_every_command_already_accepted()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Executor.Hold = busy.Task;
        string[] names = ["queued-1", "queued-2", "queued-3"];
        foreach (var name in names)
        {
            Assert.Equal("accepted", Assert.Single(await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), name)).Result);
        }

        await gateway.Executor.Started.Task.WaitAsync(Patience);
        // StopAsync cancels the stopping token before it returns its task; the controller answers after.
        var stopping = gateway.Subscriber!.StopAsync(CancellationToken.None);
        busy.SetResult();
        await stopping.WaitAsync(Patience);

        Assert.Equal(3, gateway.Executor.Executed.Count);
        foreach (var name in names)
        {
            Assert.Equal(["accepted", "done"], (await office.WaitForAsync(name, count: 2)).Select(r => r.Result));
        }
    }

    [Fact]
    public async Task A_command_the_stop_could_not_finish_in_time_is_answered_interrupted_when_sent_again_and_not_run_twice()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        using var supervisor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var seen = new InMemorySeenCommandIds();
        byte[] payload;
        await using (var stuck = new CommandHarness(output, broker.Port, seen, supervisor: supervisor, tune: o => o with { DrainTimeout = TimeSpan.FromMilliseconds(300) }))
        {
            await stuck.StartAsync();
            stuck.Executor.Hold = new TaskCompletionSource().Task; // a controller that never answers
            payload = stuck.Sign(CommandType.Lockdown);
            Assert.Equal("accepted", Assert.Single(await office.SendAndWaitAsync(payload, "stuck")).Result);
            await stuck.Executor.Started.Task.WaitAsync(Patience);
            await stuck.Subscriber!.StopAsync(CancellationToken.None).WaitAsync(Patience);
            Assert.Single(stuck.Executor.Executed); // the controller had it when the deadline came
        }

        // Acknowledged, so the broker will not offer it again; the office, never told "done",
        // resends it. It may have taken effect: it is not run again, and the answer says why.
        await using var next = new CommandHarness(output, broker.Port, seen, supervisor: supervisor);
        await next.StartAsync();
        var result = Assert.Single(await office.SendAndWaitAsync(payload, "resent"));

        Assert.Equal("rejected", result.Result);
        Assert.StartsWith("interrupted: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(next.Executor.Executed);
    }
}
