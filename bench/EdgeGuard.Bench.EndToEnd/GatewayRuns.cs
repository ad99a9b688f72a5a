using System.Diagnostics;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>The gateway's rows: edges on the simulated chip in, events at the subscriber out.</summary>
internal sealed class GatewayRuns(GatewayUnderTest gateway, TimedSubscriber subscriber)
{
    /// <summary>The point the bench opens and closes: a door contact, debounce 0, one event per edge.</summary>
    public const string Door = "door-lobby";

    /// <summary>Panic button and clearing keyswitch for the edge → output row (debounce 0).</summary>
    public const string Panic = "panic-lobby";
    public const string Key = "key-guardroom";
    public const string Lamp = "lamp-lockdown";

    private readonly PointDefinition _door = gateway.Point(Door);
    private bool _doorOpen;

    // Highest event seq the subscriber has been seen to receive, across phases.
    private long _seen;

    /// <summary>The seq the next journaled event will get.</summary>
    public long NextSeq => gateway.Journal.LastSeq + 1;

    /// <summary>
    /// Waits until the gateway is quiet (journal flushed, nothing new for 100 ms) and everything it
    /// journaled has reached the subscriber, discarding it, so a phase starts from a quiet gateway.
    /// Returns the average event payload size seen, or 0.
    /// </summary>
    public async Task<int> SettleAsync()
    {
        long bytes = 0, count = 0;
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (true)
        {
            // Edges may still sit in the controller's channel; flush, then look for more.
            await gateway.Journal.FlushAsync();
            var last = gateway.Journal.LastSeq;
            while (_seen < last)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"events up to seq {last} did not all reach the subscriber (last seen {_seen})");
                }

                var arrival = await subscriber.NextAsync(TimeSpan.FromSeconds(30));
                if (arrival.Topic == gateway.EventsTopic)
                {
                    _seen = Math.Max(_seen, arrival.Seq);
                    bytes += arrival.PayloadBytes;
                    count++;
                }
            }

            await Task.Delay(100);
            await gateway.Journal.FlushAsync();
            if (gateway.Journal.LastSeq == last && subscriber.Drain() is null)
            {
                return count == 0 ? 0 : (int)(bytes / count);
            }
        }
    }

    /// <summary>Opens or closes the door <paramref name="count"/> times untimed (warm-up); returns the average event size.</summary>
    public Task<int> WarmUpAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            ToggleDoor();
        }

        return SettleAsync();
    }

    /// <summary>
    /// Ping-pong latency: stamp, set the door's line on the simulated chip, wait for that event at
    /// the subscriber. Covers GPIO callback → channel → controller → journal commit (fsync) →
    /// outbox wake-up → PUBLISH → broker → subscriber.
    /// </summary>
    public async Task<List<long>> LatencyAsync(int samples)
    {
        var latencies = new List<long>(samples);
        for (var i = 0; i < samples; i++)
        {
            var expected = NextSeq;
            var sent = Stopwatch.GetTimestamp();
            ToggleDoor();
            var arrival = await subscriber.NextAsync(TimeSpan.FromSeconds(10));
            if (arrival.Seq != expected || arrival.Topic != gateway.EventsTopic)
            {
                throw new InvalidOperationException($"gateway latency: expected seq {expected}, got {arrival.Seq} on {arrival.Topic}");
            }

            _seen = arrival.Seq;
            latencies.Add(arrival.Timestamp - sent);
        }

        return latencies;
    }

    /// <summary>
    /// The latency run again, split in two: edge → event committed to the journal (seen by a
    /// waiter on the same signal the outbox waits on, so it includes the wake-up of a pool thread),
    /// and from there → subscriber (outbox read, PUBLISH, broker). A separate pass, because the
    /// extra waiter is one more thread-pool item competing for two cores.
    /// </summary>
    public async Task<(List<long> ToJournal, List<long> ToSubscriber)> LatencyBreakdownAsync(int samples)
    {
        var toJournal = new List<long>(samples);
        var toSubscriber = new List<long>(samples);
        for (var i = 0; i < samples; i++)
        {
            var expected = NextSeq;
            var committed = StampWhenJournaledAsync(expected);
            var sent = Stopwatch.GetTimestamp();
            ToggleDoor();
            var arrival = await subscriber.NextAsync(TimeSpan.FromSeconds(10));
            var journaled = await committed;
            if (arrival.Seq != expected || arrival.Topic != gateway.EventsTopic)
            {
                throw new InvalidOperationException($"gateway latency: expected seq {expected}, got {arrival.Seq} on {arrival.Topic}");
            }

            _seen = arrival.Seq;
            toJournal.Add(journaled - sent);
            toSubscriber.Add(arrival.Timestamp - journaled);
        }

        return (toJournal, toSubscriber);
    }

    /// <summary>
    /// A burst of <paramref name="count"/> edges as fast as the bench thread can set the line (the
    /// simulator's <c>pulse</c> verb does the same), timed from the first edge to the subscriber's
    /// receipt of the last event; every seq must arrive once and in order.
    /// </summary>
    public async Task<StreamResult> StreamAsync(int count)
    {
        var firstSeq = NextSeq;
        var collect = subscriber.CollectAsync(gateway.EventsTopic, firstSeq, count, TimeSpan.FromSeconds(15));
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            ToggleDoor();
        }

        var check = await collect;
        _seen = Math.Max(_seen, firstSeq + check.Received - 1);
        return new StreamResult(check, started);
    }

    /// <summary>
    /// Panic press → lockdown lamp lit, keyswitch → lamp off, through the running controller:
    /// GPIO callback, channel hop to the loop, filter, Decide, safety-state save (SQLite fsync:
    /// durable before effect) and the output write. Polls the simulated chip's output level.
    /// </summary>
    public async Task<(List<long> Lockdown, List<long> Clear)> EdgeToOutputAsync(int samples)
    {
        var panic = gateway.Point(Panic);
        var key = gateway.Point(Key);
        var lamp = gateway.OutputLine(Lamp);
        var lockdown = new List<long>(samples);
        var clear = new List<long>(samples);
        for (var i = 0; i < samples; i++)
        {
            lockdown.Add(SetAndWaitForOutput(panic, lamp, lampOn: true));
            gateway.Set(panic, active: false);
            clear.Add(SetAndWaitForOutput(key, lamp, lampOn: false));
            gateway.Set(key, active: false);
            // Let journal and outbox catch up so each sample starts from a quiet gateway.
            await SettleAsync();
        }

        return (lockdown, clear);
    }

    private long SetAndWaitForOutput(PointDefinition point, int line, bool lampOn)
    {
        var started = Stopwatch.GetTimestamp();
        gateway.Set(point, active: true);
        var spin = default(SpinWait);
        while (gateway.Driver.GetOutputLevel(line) != lampOn)
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"{point.Id} did not switch the lockdown lamp within 10 s");
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        return Stopwatch.GetTimestamp() - started;
    }

    private async Task<long> StampWhenJournaledAsync(long seq)
    {
        await gateway.Journal.WaitForRecordsAfterAsync(seq - 1, CancellationToken.None);
        return Stopwatch.GetTimestamp();
    }

    private void ToggleDoor()
    {
        _doorOpen = !_doorOpen;
        gateway.Set(_door, _doorOpen);
    }
}
