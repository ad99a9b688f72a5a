using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;

namespace EdgeGuard.Mqtt.Tests;

// What only a broker answering on cue shows (ScriptedMqttClient): a resent event refused for its
// size while the ones behind it pass, and PUBACKs slow enough that a resend runs for long.
public sealed partial class ResendTests
{
    [Fact]
    public async Task A_resent_event_refused_for_its_size_goes_as_its_stub_before_the_seqs_after_it_and_settled_through_stays_contiguous()
    {
        // The stub of seq 2 used to go after 3 and 4 (the office got 1, 3, 4, stub 2), and 3 and 4
        // settled the resend through 4 while the stub of 2 never was: resend.ended said 4.
        await using var h = new SessionHarness(output, delivered: 4);
        h.Script.Answer = message => ScriptedMqttClient.Seq(message) switch
        {
            2 when !ScriptedMqttClient.IsStub(message) => ScriptedMqttClient.Answered((MqttClientPublishReasonCode)149),
            2 => new TaskCompletionSource<MqttClientPublishResult>().Task, // the stub: never answered
            _ => ScriptedMqttClient.Answered(MqttClientPublishReasonCode.Success),
        };
        Assert.True(h.Resends.TryStart(new ResendRequest(ResendId, 1, 4)));
        h.Stream();
        // The stub goes first and 3 and 4 after it, in later calls of the client: wait for all
        // seven (on a loaded machine 3 and 4 came more than 300 ms after the stub), then give a
        // wrong eighth time to show.
        await Eventually.TrueAsync(() => h.Script.Published.Count(m => m.Topic == Events) >= 7, Patience, "the stub of seq 2 and 3 and 4 after it");
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        // 3 and 4 went before the refusal came back; after it, the stub and everything after it
        // again, in seq order.
        var events = h.Script.Published.Where(m => m.Topic == Events).ToList();
        Assert.Equal([1L, 2, 3, 4, 2, 3, 4], events.Select(ScriptedMqttClient.Seq));
        Assert.Equal([false, false, false, false, true, false, false], events.Select(ScriptedMqttClient.IsStub));

        // The link is lost with the stub unanswered: the resend got through seq 1 only.
        await h.EndAsync();
        var ended = Assert.Single(h.Faults.Events.OfType<ResendEnded>());
        Assert.Equal((1L, 1L), (ended.SettledThrough, ended.Resent));
        Assert.StartsWith("the connection ended before it was finished", ended.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_offices_heard_shows_on_state_delivery_while_a_long_resend_runs()
    {
        // state/delivery used to be checked only when the window was empty: a resend keeps it busy,
        // so the trim showed only once the resend had ended (minutes for 10,000 seqs).
        await using var h = new SessionHarness(output, delivered: 2_000, window: 4, stateCheckInterval: TimeSpan.FromMilliseconds(100));
        h.Reporter.NoteUnheard(1);
        h.Reporter.NoteUnheard(2_000);
        var resent = 0;
        var resentWhenShown = -1;
        h.Script.Answer = message =>
        {
            if (message.Topic == Events)
            {
                Interlocked.Increment(ref resent);
                return SlowAsync(); // about 100 resent events a second with 2 in flight: 20 s in all
            }

            if (message.Topic == DeliveryState && UnheardFrom(message) == 501)
            {
                Interlocked.CompareExchange(ref resentWhenShown, Volatile.Read(ref resent), -1);
            }

            return ScriptedMqttClient.Answered(MqttClientPublishReasonCode.Success);
        };
        Assert.True(h.Resends.TryStart(new ResendRequest(ResendId, 1, 2_000)));
        h.Stream();
        await Eventually.TrueAsync(() => Volatile.Read(ref resent) >= 20, Patience, "the resend running");

        Assert.True(h.Reporter.Heard(500));
        await Eventually.TrueAsync(() => Volatile.Read(ref resentWhenShown) >= 0, Patience, "state/delivery unheard from 501");
        Assert.True(resentWhenShown < 2_000, $"shown only after all {resentWhenShown} resent events");
        Assert.NotNull(h.Resends.Current);

        static async Task<MqttClientPublishResult> SlowAsync()
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20));
            return new MqttClientPublishResult(null, MqttClientPublishReasonCode.Success, null, []);
        }
    }

    private static long? UnheardFrom(MqttApplicationMessage message)
    {
        using var json = JsonDocument.Parse(message.ConvertPayloadToString());
        return json.RootElement.GetProperty("unheard") is { ValueKind: JsonValueKind.Object } unheard ? unheard.GetProperty("fromSeq").GetInt64() : null;
    }
}
