using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An answer whose PUBLISH MQTTnet cannot write within <c>mqtt.timeout</c> (it waits for the
/// socket, whose buffer is full while the broker reads behind the gateway, as under a flood), and
/// one written whose PUBACK does not come. In one CI run an "accepted" was dropped so, after a
/// 40,000-message flood, while its "done" went out a moment later: the office must get both
/// answers of an accepted command, and neither twice. Real Mosquitto; the wait is made by a hook in
/// front of the real client's publish (GatedMqttClient), cancelled as MQTTnet's is.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ResultWriteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_accepted_answer_not_written_within_a_timeout_is_written_later_not_dropped()
    {
        var gate = new GatedMqttClient.Hook();
        var writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waits = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "accepted")
            {
                Interlocked.Increment(ref waits);
                await writable.Task.WaitAsync(token); // MQTTnet's wait for the socket: OperationCanceledException
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await Eventually.TrueAsync(() => Volatile.Read(ref waits) >= 3, TimeSpan.FromSeconds(15), "three timeouts spent waiting to write the accepted answer");
        writable.SetResult();

        var answers = await office.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, gateway.Subscriber!.ResultsDropped);
        Assert.Single(gateway.Executor.Executed);
    }

    // The connection lost under the accepted answer and the broker away for three timeouts: the
    // answers wait for the next connection (they were dropped after one timeout each).
    [Fact]
    public async Task Answers_of_an_accepted_command_wait_for_the_next_connection_however_long_the_broker_is_away()
    {
        var gate = new GatedMqttClient.Hook();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tries = 0;
        gate.Publish = async (message, token, publish) =>
        {
            Interlocked.Increment(ref tries);
            await open.Task.WaitAsync(token); // until the office is back on the restarted broker
            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await Eventually.TrueAsync(() => Volatile.Read(ref tries) >= 1 && gateway.Executor.Executed.Count == 1, TimeSpan.FromSeconds(15), "the lockdown executed and its accepted answer on its way");
        await using var back = await AwayAndBackAsync(broker, office, Timeout * 3, open);
        var answers = await back.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, gateway.Subscriber!.ResultsDropped);
    }

    // MQTTnet ends a connection itself (the broker gone, a ping unanswered) only once the handler
    // of the message it is handing over has returned, and only then tells the subscriber. A
    // handler waiting for room for a refusal's answer, behind an accepted answer that waits for
    // the next connection, waited for ever: no reconnect, commands left in the broker until a
    // restart (seen once under load in CommandFloodTests, its "done" never sent).
    [Fact]
    public async Task A_connection_ended_while_a_refusal_waits_for_room_behind_an_accepted_answer_is_made_again()
    {
        var gate = new GatedMqttClient.Hook();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "accepted")
            {
                await open.Task.WaitAsync(token); // until the broker is back: the lane waits behind it
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate, o => o with { QueueCapacity = 2 });
        await gateway.StartAsync();
        var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await Eventually.TrueAsync(() => gateway.Executor.Executed.Count == 1, TimeSpan.FromSeconds(15), "the lockdown executed");
        // Two refusals' answers queued behind the accepted one, the third waiting for room.
        await CommandFlooder.PublishJunkAsync(broker.Port, 6, MqttQualityOfServiceLevel.AtLeastOnce);
        await Eventually.TrueAsync(() => gateway.Subscriber!.Received >= 4, TimeSpan.FromSeconds(15), "a refusal waiting for room");

        await using var back = await AwayAndBackAsync(broker, office, Timeout * 2, open);
        var answers = await back.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.True(gateway.Subscriber!.IsSubscribed);
    }

    // Written, and its PUBACK not within the timeout: the broker has it, so it is not sent again
    // (the office would get it twice), and the lane goes on to "done".
    [Fact]
    public async Task An_accepted_answer_written_whose_puback_does_not_come_is_not_sent_again()
    {
        var gate = new GatedMqttClient.Hook();
        var sent = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) != "accepted")
            {
                return await publish();
            }

            Interlocked.Increment(ref sent);
            await publish();
            // MQTTnet's PUBACK wait, cancelled: it reports a timeout.
            await Task.Delay(System.Threading.Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new MqttCommunicationTimedOutException();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        var answers = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "real", count: 2);
        await Task.Delay(Timeout * 3); // long enough for a resend to arrive
        Assert.Equal(["accepted", "done"], office.Results.Where(r => r.Correlation == "real").Select(r => r.Result));
        Assert.Equal(1, Volatile.Read(ref sent));
        Assert.Equal(1, gateway.Subscriber!.ResultsUnconfirmed);
        Assert.Equal(0, gateway.Subscriber.ResultsDropped);
    }

    // A refusal's answer is best effort: not written within a timeout, it is dropped (counted) and
    // does not hold the answers behind it.
    [Fact]
    public async Task A_refusal_answer_not_written_within_a_timeout_is_dropped_and_the_next_answers_go()
    {
        var gate = new GatedMqttClient.Hook();
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "rejected")
            {
                await Task.Delay(System.Threading.Timeout.Infinite, token);
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        await office.SendAsync("not a command"u8.ToArray(), "junk");
        await Eventually.TrueAsync(() => gateway.Subscriber!.ResultsDropped == 1, TimeSpan.FromSeconds(15), "the refusal's answer dropped");
        var answers = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.DoesNotContain(office.Results, r => r.Correlation == "junk");
    }

    // MQTTnet noticed the connection's end before the subscriber did (ConnectionGone runs after
    // the loss is journaled): its publish throws MqttClientNotConnectedException, which was a drop.
    [Fact]
    public async Task An_accepted_answer_that_MQTTnet_finds_not_connected_is_tried_again_not_dropped()
    {
        var gate = new GatedMqttClient.Hook();
        var thrown = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "accepted" && Interlocked.Exchange(ref thrown, 1) == 0)
            {
                throw new MqttClientNotConnectedException();
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        var answers = await office.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, gateway.Subscriber!.ResultsDropped);
    }

    // Answers that cannot be written must not hold up execution: with the answers lane bounded
    // (2 x QueueCapacity) an acknowledged lockdown waited behind them and was never executed.
    [Fact]
    public async Task Commands_are_executed_while_their_answers_cannot_be_written()
    {
        var gate = new GatedMqttClient.Hook();
        gate.Publish = async (message, token, publish) =>
        {
            await Task.Delay(System.Threading.Timeout.Infinite, token); // never writable: OCE each timeout
            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate, o => o with { QueueCapacity = 1 });
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Executor.Hold = hold.Task;
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "c1");
        await gateway.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "c2");
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "c3");
        await Eventually.TrueAsync(() => gateway.Subscriber!.Received >= 3, TimeSpan.FromSeconds(10), "three received");
        await Task.Delay(300);
        gateway.Executor.Hold = null;
        hold.SetResult();
        // c2 was acknowledged to the broker (its handler returned); it should execute promptly.
        await Eventually.TrueAsync(() => gateway.Executor.Executed.Count >= 2, TimeSpan.FromSeconds(6), "c2 executed");
    }

    // The connection ends under the publish and the answer's own timeout passes before the catch
    // runs (a slow continuation on a busy host): neither case was matched, and it was dropped.
    [Fact]
    public async Task An_accepted_answer_whose_connection_ends_as_its_timeout_passes_waits_for_the_next_connection()
    {
        var gate = new GatedMqttClient.Hook();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tries = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (Interlocked.Increment(ref tries) > 1)
            {
                await open.Task.WaitAsync(token); // until the office is back on the restarted broker
                return await publish();
            }

            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                await Task.Delay(Timeout * 1.5); // the catch runs late, the timeout passed meanwhile
                throw;
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await Eventually.TrueAsync(() => Volatile.Read(ref tries) >= 1, TimeSpan.FromSeconds(15), "accepted on its way");
        await using var back = await AwayAndBackAsync(broker, office, Timeout * 2, open);
        var answers = await back.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, gateway.Subscriber!.ResultsDropped);
    }

    // The broker ends the connection under the publish (a session takeover, a server shutdown):
    // MQTTnet fails it with the DISCONNECT before the subscriber learns of the loss, and the answer
    // was dropped. One the broker would refuse again (too large) is given up, not tried forever.
    [Theory]
    [InlineData(MqttDisconnectReasonCode.SessionTakenOver, new[] { "accepted", "done" }, 0)]
    [InlineData(MqttDisconnectReasonCode.PacketTooLarge, new[] { "done" }, 1)]
    public async Task An_accepted_answer_the_broker_disconnects_under_is_tried_again_unless_it_would_be_refused_again(
        MqttDisconnectReasonCode reason, string[] expected, int dropped)
    {
        var gate = new GatedMqttClient.Hook();
        var thrown = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "accepted" && (reason == MqttDisconnectReasonCode.PacketTooLarge || Interlocked.Exchange(ref thrown, 1) == 0))
            {
                throw new MqttClientUnexpectedDisconnectReceivedException(new MqttDisconnectPacket { ReasonCode = reason });
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await office.WaitForAsync("real", count: expected.Length);
        await Task.Delay(Timeout); // a repeat would come within it
        Assert.Equal(expected, office.Results.Where(r => r.Correlation == "real").Select(r => r.Result));
        Assert.Equal(dropped, gateway.Subscriber!.ResultsDropped);
    }

    // An answer that cannot be written leaves MQTTnet's keep-alive quiet spells: each attempt
    // counts as traffic for it (it notes the time before it waits for the socket), so one every
    // timeout on a link dead half-open kept it from pinging, and the connection up, until TCP gave
    // up. With mqtt.timeout 1 s and keep-alive 2 s: three attempts, then none for 3 s. Then
    // written.
    [Fact]
    public async Task An_answer_that_cannot_be_written_leaves_the_keep_alive_quiet_spells()
    {
        var gate = new GatedMqttClient.Hook();
        var writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        gate.Publish = async (message, token, publish) =>
        {
            if (Answer(message) == "accepted")
            {
                attempts.Enqueue(clock.Elapsed);
                await writable.Task.WaitAsync(token);
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = Gateway(broker, gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "real");
        await Eventually.TrueAsync(() => attempts.Count >= 3, TimeSpan.FromSeconds(15), "three attempts to write the accepted answer");
        // The third's timeout (1 s) and the quiet spell (3 s) after it: none may start within 3.5 s
        // of it. Without the spell the fourth came 1 s after it; a slow host only makes them later.
        var third = attempts.ToArray()[2];
        var spell = third + TimeSpan.FromSeconds(3.5);
        if (spell - clock.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest);
        }

        Assert.True(
            attempts.All(a => a <= third || a >= spell),
            $"attempts at {string.Join(", ", attempts.Select(a => $"{a.TotalSeconds:0.0} s"))}, the third at {third.TotalSeconds:0.0} s");
        writable.SetResult();

        var answers = await office.WaitForAsync("real", count: 2);
        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, gateway.Subscriber!.ResultsDropped);
    }

    // The office leaves, the broker is away for the given time and comes back, a new office
    // subscribes, then the gate opens: no answer can reach the broker before the office is there.
    private static async Task<OfficeClient> AwayAndBackAsync(MosquittoBroker broker, OfficeClient office, TimeSpan away, TaskCompletionSource open)
    {
        await office.DisposeAsync();
        await broker.StopAsync();
        await Task.Delay(away);
        await broker.StartAgainAsync();
        var back = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        open.SetResult();
        return back;
    }

    // A gateway on the broker with mqtt.timeout 1 s, its publishes behind the gate.
    private CommandHarness Gateway(MosquittoBroker broker, GatedMqttClient.Hook gate, Func<CommandSubscriberOptions, CommandSubscriberOptions>? tune = null) =>
        new(output, broker.Port, broker: PublisherHarness.Plain(broker.Port) with { Timeout = Timeout }, tune: tune, gate: gate);

    private static string Answer(MqttApplicationMessage message) => GatedMqttClient.AnswerOf(message);
}
