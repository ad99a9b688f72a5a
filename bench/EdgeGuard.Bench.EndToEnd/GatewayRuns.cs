using System.Diagnostics;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>The gateway's rows: edges on the simulated chip in, events at the subscriber out.</summary>
/// <param name="edges">
/// The thread the door edges reach the gateway on (<see cref="EdgeThread"/>); null sets them inline on
/// the bench's thread, as every run before Z49 did (<c>--inline-edges</c>).
/// </param>
internal sealed class GatewayRuns(GatewayUnderTest gateway, TimedSubscriber subscriber, int benchPoints, EdgeThread? edges)
{
    /// <summary>
    /// Most transitions a bench point may make per second: under the relaxed chatter limit
    /// (1000 per 1 s) with room to spare.
    /// </summary>
    public const int TransitionsPerPointPerSecond = 900;

    /// <summary>The shipped StateRefreshInterval (250 ms) and room for its PUBACKs.</summary>
    private static readonly TimeSpan StateRefreshSettle = TimeSpan.FromMilliseconds(300);

    /// <summary>Panic button and clearing keyswitch for the edge → output row (debounce 0).</summary>
    public const string Panic = "panic-lobby";
    public const string Key = "key-guardroom";
    public const string Lamp = "lamp-lockdown";

    /// <summary>The office subscriber the runs wait on; the throughput phase swaps it (Program.cs).</summary>
    public TimedSubscriber Subscriber { get; set; } = subscriber;

    // The door contacts the bench opens and closes round-robin (debounce 0: one event per edge).
    private readonly PointDefinition[] _doors = [.. Enumerable.Range(0, benchPoints).Select(i => gateway.Point(GatewayUnderTest.BenchPointId(i)))];
    private readonly bool[] _open = new bool[benchPoints];
    private int _next;

    // Highest event seq the subscriber has been seen to receive, across phases.
    private long _seen;

    /// <summary>
    /// The seq the next event will get, counted from what the subscriber received, so a phase
    /// checks what actually arrived rather than what the journal says it wrote.
    /// </summary>
    private long NextSeq => _seen + 1;

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

                var arrival = await Subscriber.NextAsync(TimeSpan.FromSeconds(30));
                if (arrival.Topic == gateway.EventsTopic)
                {
                    _seen = Math.Max(_seen, arrival.Seq);
                    bytes += arrival.PayloadBytes;
                    count++;
                }
            }

            await Task.Delay(100);
            await gateway.Journal.FlushAsync();
            if (Subscriber.Drain() is { } late)
            {
                // Something came in late: account for it and look again.
                _seen = late.Topic == gateway.EventsTopic ? Math.Max(_seen, late.Seq) : _seen;
                continue;
            }

            if (gateway.Journal.LastSeq == last)
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
    /// One ping-pong latency sample, in Stopwatch ticks: stamp, set a door's line on the simulated
    /// chip, wait for that event at the subscriber. Covers the event thread's wake-up (<see cref="EdgeThread"/>)
    /// → GPIO callback → controller → journal sequencing → outbox → PUBLISH → broker → subscriber; on
    /// an idle gateway all of it up to the PUBLISH runs on the event thread, with the journal's
    /// commit (fsync) running on its writer meanwhile. The doors' debounce is 0: a real door's 25 ms
    /// is a wait, not work, and is left out of both the row and the target.
    /// </summary>
    public async Task<long> SampleAsync()
    {
        var (sent, arrival) = await ToggleAndReceiveAsync();
        await QuietAfterAsync(arrival.Seq);
        return arrival.Timestamp - sent;
    }

    // Stamps, sets the next door's line and waits for that event at the subscriber; anything else
    // arriving first is a delivery failure.
    private async Task<(long Sent, Arrival Arrival)> ToggleAndReceiveAsync()
    {
        var expected = NextSeq;
        var sent = Stopwatch.GetTimestamp();
        ToggleDoor();
        var arrival = await Subscriber.NextAsync(TimeSpan.FromSeconds(10));
        if (arrival.Seq != expected || arrival.Topic != gateway.EventsTopic)
        {
            throw new DeliveryException($"gateway latency: expected seq {expected}, got {arrival.Seq} on {arrival.Topic}");
        }

        _seen = arrival.Seq;
        return (sent, arrival);
    }

    /// <summary>
    /// Waits (untimed) until the gateway has nothing left to do for the events so far: every one
    /// acknowledged by the broker and committed (the journal holds its commit for 2 ms after the
    /// hand-out, then runs it), and the coalesced point-state refreshes they made due sent (at most
    /// one StateRefreshInterval, 250 ms, later). Before a block of bare samples, so that the bare row
    /// never pays for the gateway's background work, which would flatter the ratio.
    /// </summary>
    public async Task QuietAsync()
    {
        var last = gateway.Journal.LastSeq;
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (gateway.Publisher.AcknowledgedThrough < last || gateway.Journal.DurableSeq < last)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"the gateway did not go quiet within 10 s (seq {last}: acknowledged through {gateway.Publisher.AcknowledgedThrough}, committed through {gateway.Journal.DurableSeq})");
            }

            await Task.Delay(1);
        }

        await Task.Delay(StateRefreshSettle);
    }

    /// <summary>
    /// The latency run again, split in two at the moment a waiter on the outbox's own signal wakes:
    /// edge → event sequenced and handed to the outbox, and from there → subscriber. On an idle
    /// gateway that waiter resumes on the edge's thread right after the outbox, which waited
    /// first, has started its PUBLISH, so the first part then includes building and sending the
    /// PUBLISH. A separate pass, because the extra waiter is more work on the path.
    /// </summary>
    public async Task<(List<long> ToJournal, List<long> ToSubscriber)> LatencyBreakdownAsync(int samples)
    {
        var toJournal = new List<long>(samples);
        var toSubscriber = new List<long>(samples);
        for (var i = 0; i < samples; i++)
        {
            var handedOut = StampWhenHandedOutAsync(NextSeq);
            var (sent, arrival) = await ToggleAndReceiveAsync();
            var journaled = await handedOut;
            toJournal.Add(journaled - sent);
            toSubscriber.Add(arrival.Timestamp - journaled);
            await QuietAfterAsync(arrival.Seq);
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
        var collect = Subscriber.CollectAsync(gateway.EventsTopic, firstSeq, count, TimeSpan.FromSeconds(15));
        var started = OfferEdges(count);
        var check = await collect;
        Saw(check.MaxSeq);
        return new StreamResult(check, started);
    }

    /// <summary>
    /// Sets <paramref name="count"/> edges round-robin over the bench's doors, as fast as this thread
    /// can while no door changes more often than <see cref="TransitionsPerPointPerSecond"/>; returns
    /// the timestamp before the first. A count that is a multiple of the doors keeps the rounds of
    /// consecutive calls aligned.
    /// </summary>
    public long OfferEdges(int count)
    {
        var started = Stopwatch.GetTimestamp();
        var round = Stopwatch.Frequency / TransitionsPerPointPerSecond;
        for (var i = 0; i < count; i++)
        {
            // Paced only when a burst would exceed the chatter limit: round r (one edge on every
            // point) starts no earlier than r / 900 s. Asleep while early, not spinning: a spin
            // (Thread.Yield, a system call each pass) took about half a core of the two from the
            // gateway and the broker while the gateway worked off the edges (perf, 2026-12-06),
            // CPU that edges in the field, raised by the kernel, never cost it. The schedule is
            // absolute, so a sleep that overshoots is made up by the rounds after it.
            var due = started + (i / _doors.Length * round);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.Sleep(1);
            }

            ToggleDoor();
        }

        return started;
    }

    /// <summary>Records that the subscriber has received events up to <paramref name="seq"/> in another phase.</summary>
    public void Saw(long seq) => _seen = Math.Max(_seen, seq);

    /// <summary>
    /// Panic press → lockdown lamp lit, keyswitch → lamp off, through the running controller:
    /// GPIO callback, filter, Decide, the hop to the loop that every safety change takes (its save
    /// never runs on the GPIO thread), the safety-state save (SQLite fsync: durable before effect)
    /// and the output write. Polls the simulated chip's output level.
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

    /// <summary>
    /// Between latency samples: waits (untimed) until the publisher has the PUBACK, then 1 ms
    /// more, so each sample starts from a quiet gateway as each bare sample starts after its PUBACK.
    /// Events on a real site are seconds apart, not back to back. Not until the durable cursor has
    /// moved: the publisher writes it at most every 250 ms, and those writes, landing between or
    /// during samples, are part of what the gateway costs.
    /// </summary>
    private async Task QuietAfterAsync(long seq)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20;
        while (gateway.Publisher.AcknowledgedThrough < seq && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(1);
        }

        await Task.Delay(1);
    }

    private async Task<long> StampWhenHandedOutAsync(long seq)
    {
        await gateway.Journal.WaitForRecordsAfterAsync(seq - 1, CancellationToken.None);
        return Stopwatch.GetTimestamp();
    }

    private void ToggleDoor()
    {
        var i = _next;
        _next = (_next + 1) % _doors.Length;
        _open[i] = !_open[i];
        var (door, open) = (_doors[i], _open[i]);
        if (edges is null)
        {
            gateway.Set(door, open);
        }
        else
        {
            edges.Raise(() => gateway.Set(door, open));
        }
    }
}
