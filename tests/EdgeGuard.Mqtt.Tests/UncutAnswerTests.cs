using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An answer to a refusal is never cancelled in its write on a live connection, neither when it
/// gives way to an accepted command's answer during a flood episode (CommandSubscriber.Queue.cs)
/// nor at its own timeout. The give-way cancelled MQTTnet's publish, also part-way through its
/// write when the socket's buffer was full: the broker then read the accepted
/// answer as the rest of the refusal's PUBLISH and closed the connection at the next packet, and
/// the office never got "accepted" (the 40,000-message QoS 1 flood test, 5 times in about 95 runs
/// under two CPU burners: "Bad socket read/write … Invalid function arguments" in Mosquitto's log, 1–10 ms
/// after the accepted answer's PUBACK timeout). Real Mosquitto; the write in progress is a hook in
/// front of the real client's publish (GatedMqttClient), cancelled as MQTTnet's write is.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class UncutAnswerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_refusal_answer_giving_way_to_an_accepted_one_is_not_cut_in_its_write()
    {
        var gate = new GatedMqttClient.Hook();
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var write = new StuckWrite();
        var stickNextRefusal = 0;
        gate.Publish = async (message, token, publish) =>
        {
            if (GatedMqttClient.AnswerOf(message) == "rejected" && Interlocked.Exchange(ref stickNextRefusal, 0) == 1)
            {
                writing.SetResult();
                await write.WaitAsync(token);
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        // A timeout longer than the test: only a give-way could cancel the stuck write.
        var settings = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(30) };
        await using var gateway = new CommandHarness(output, broker.Port, broker: settings, tune: o => o with { MaxBacklog = 2 }, gate: gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        // A flood episode: reading held at the (lowered) backlog limit, each message 300 ms to
        // journal.
        gateway.Journal.Delay = TimeSpan.FromMilliseconds(300);
        await CommandFlooder.PublishJunkAsync(broker.Port, 4, MqttQualityOfServiceLevel.AtLeastOnce);
        await Eventually.TrueAsync(() => gateway.Subscriber!.ResultsPublished >= 4, TimeSpan.FromSeconds(15), "the flood's four refusals answered");
        Assert.True(Flooded(gateway), "reading was held for the flood");
        gateway.Journal.Delay = TimeSpan.Zero;

        // One more refusal, its answer stuck in its write; then the office's lockdown.
        Volatile.Write(ref stickNextRefusal, 1);
        await CommandFlooder.PublishJunkAsync(broker.Port, 1, MqttQualityOfServiceLevel.AtLeastOnce);
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var answers = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "real", count: 2, timeout: TimeSpan.FromSeconds(15));
        var cutBefore = write.Cuts;
        write.Writable.SetResult();

        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, cutBefore);
        // The refusal's answer, no longer waited for, still went out once its write could go on.
        await Eventually.TrueAsync(
            () => office.Results.Count(r => r.Result == "rejected") >= 5, TimeSpan.FromSeconds(15), "the stuck refusal's answer published");
        Assert.Equal(0, write.Cuts);
    }

    // The same cut by a refusal's own timeout: its answer, stuck in its write past the timeout, is
    // no longer waited for (dropped) but not cancelled, so an answer behind it in MQTTnet's send
    // lock is not read as its rest; it still goes out once the socket takes it (review finding).
    [Fact]
    public async Task A_refusal_answer_stuck_in_its_write_past_its_timeout_is_not_cut()
    {
        var gate = new GatedMqttClient.Hook();
        var write = new StuckWrite();
        gate.Publish = async (message, token, publish) =>
        {
            if (GatedMqttClient.AnswerOf(message) == "rejected")
            {
                await write.WaitAsync(token);
            }

            return await publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        var settings = PublisherHarness.Plain(broker.Port) with { Timeout = TimeSpan.FromSeconds(1) };
        await using var gateway = new CommandHarness(output, broker.Port, broker: settings, gate: gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        await office.SendAsync("not a command"u8.ToArray(), "junk");
        await Eventually.TrueAsync(() => gateway.Subscriber!.ResultsDropped == 1, TimeSpan.FromSeconds(15), "the refusal's answer no longer waited for");
        var answers = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "real", count: 2);
        var cutBefore = write.Cuts;
        write.Writable.SetResult();

        Assert.Equal(["accepted", "done"], answers.Select(r => r.Result));
        Assert.Equal(0, cutBefore);
        await office.WaitForAsync("junk", timeout: TimeSpan.FromSeconds(15));
        Assert.Equal(0, write.Cuts);
    }

    // A write stuck until Writable completes (the socket's buffer full mid-write); a cancellation
    // of it, which MQTTnet would make a cut write, is counted.
    private sealed class StuckWrite
    {
        private int _cuts;

        public TaskCompletionSource Writable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Cuts => Volatile.Read(ref _cuts);

        public async Task WaitAsync(CancellationToken token)
        {
            try
            {
                await Writable.Task.WaitAsync(token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cuts);
                throw;
            }
        }
    }

    private static bool Flooded(CommandHarness gateway) =>
        gateway.Journal.Events.OfType<CommandRejected>().Any(e => e.Detail.StartsWith("the command topic was flooded", StringComparison.Ordinal));
}
