using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The wait after the broker refused the event at the head (WaitOutRefusalAsync): a jittered
/// backoff nearly always ends in a fraction of a millisecond, which a timer drops. The wait must
/// make a timer for that rest, not re-read the clock until it has passed (it spun there, and on a
/// test's fake clock, which does not move while the loop runs, it never returned).
/// </summary>
public sealed class RefusalWaitTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";

    // A backoff with a sub-millisecond part: min = max pins the jittered delay to it.
    private static MqttPublisherOptions Options() => PublisherHarness.Plain(1) with
    {
        ReconnectDelayMin = TimeSpan.FromMilliseconds(100.5),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(100.5),
        StateCheckInterval = TimeSpan.FromSeconds(30),
    };

    private (DeliverySession Session, ScriptedMqttClient Script) Refusing(TimeProvider time)
    {
        var outbox = new FakeOutbox();
        outbox.AppendMany(3);
        outbox.MarkDelivered(3);
        outbox.AppendMany(1); // seq 4: refused, 135, every time
        var client = ScriptedMqttClient.Create(out var script);
        script.Answer = m => ScriptedMqttClient.Answered(
            m.Topic == Events ? MqttClientPublishReasonCode.NotAuthorized : MqttClientPublishReasonCode.Success);
        var faults = new RecordingSink();
        var session = new DeliverySession(
            client, 16, 0, 3, 3, Options(), outbox, new FakeSiteState(), new Topics("site-1", "gw-1"),
            new DeliveryFaultReporter(faults, TimeProvider.System), new BrokerFaultReporter(faults, TimeProvider.System),
            new DeliveryStats(), time, new TestLog<DeliverySession>(output), new ResendSlot());
        return (session, script);
    }

    [Fact]
    public async Task The_rest_of_a_refusal_backoff_under_a_millisecond_is_waited_on_a_timer_not_polled()
    {
        var time = new CountingTimeProvider();
        var (session, script) = Refusing(time);
        var drain = session.DrainAsync(TimeSpan.FromSeconds(1)); // about 10 refusal waits of 100.5 ms
        await drain.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        var refusals = script.Published.Count(m => m.Topic == Events);
        output.WriteLine($"{refusals} refusals, {time.Reads} clock reads, max {time.MaxBurst} reads with no timer made between them");
        Assert.True(refusals >= 2, $"only {refusals} refusals: the waits were not exercised");
        Assert.True(time.MaxBurst < 50, $"the wait read the clock {time.MaxBurst} times in a row without a timer: a busy loop");
    }

    private sealed class CountingTimeProvider : TimeProvider
    {
        private long _reads;
        private long _burst;
        private long _maxBurst;

        public long Reads => Interlocked.Read(ref _reads);

        public long MaxBurst => Interlocked.Read(ref _maxBurst);

        public override long TimestampFrequency => System.TimestampFrequency;

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            var burst = Interlocked.Increment(ref _burst);
            if (burst > Interlocked.Read(ref _maxBurst))
            {
                Interlocked.Exchange(ref _maxBurst, burst);
            }

            return System.GetTimestamp();
        }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Exchange(ref _burst, 0);
            return System.CreateTimer(callback, state, dueTime, period);
        }
    }
}
