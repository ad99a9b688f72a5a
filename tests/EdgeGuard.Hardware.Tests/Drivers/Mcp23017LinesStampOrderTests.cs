using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>
/// The interrupt callback stamps before it waits for the chip's lock (the stamp is when the pin changed), so a
/// sweep may take the lock in between and deliver a later stamp first. The edges of one chip must still never
/// go back in time: the point's filter measures a pulse from its stamps, and one stamped before the edge it
/// follows moves the pulse's start back.
/// </summary>
public sealed class Mcp23017LinesStampOrderTests : IDisposable
{
    private const int IntLine = 17, DoorPin = 9;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly FakeMcp23017 _fake = new();
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly PausingClock _time = new();
    private readonly List<RawEdge> _edges = [];
    private volatile bool _wired = true;

    public Mcp23017LinesStampOrderTests()
    {
        _controller = new GpioController(_host);
        _fake.SetPin(DoorPin, true); // the door contact's external pull-up: closed at rest
        _fake.InterruptLevelChanged += level =>
        {
            if (_wired)
            {
                _host.SetInputLevel(IntLine, level);
            }
        };
    }

    public void Dispose()
    {
        _controller.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public async Task An_edge_stamped_before_a_sweep_delivered_a_later_one_is_not_delivered_back_in_time()
    {
        using var lines = new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake),
            [new ExpanderInput("door-annex", DoorPin, LinePull.None)], [], _time);
        lines.Start(edge =>
        {
            lock (_edges)
            {
                _edges.Add(edge);
            }
        });
        _time.Advance(TimeSpan.FromSeconds(1));

        // The door opens: the callback stamps, then waits (here: right after its stamp) as it would for the lock
        // held by an output write on the same chip.
        _time.PauseNextStamp();
        var callback = Task.Run(() => _fake.SetPin(DoorPin, false));
        Assert.True(await _time.Stamped.WaitAsync(Bound), "the interrupt callback never stamped");

        // A supervision sweep gets the lock first: it delivers the opening, stamped later.
        _time.Advance(TimeSpan.FromMilliseconds(2));
        lines.Sweep();

        // The door closes before the callback reads; its falling edge would queue behind this callback anyway.
        _wired = false;
        _fake.SetPin(DoorPin, true);
        _time.Resume.Release();
        await callback.WaitAsync(Bound);

        RawEdge[] edges;
        lock (_edges)
        {
            edges = [.. _edges];
        }

        Assert.Equal([false, true], edges.Select(e => e.High));
        Assert.True(edges[1].Timestamp >= edges[0].Timestamp,
            $"the closing was stamped {_time.GetElapsedTime(edges[1].Timestamp, edges[0].Timestamp).TotalMilliseconds} ms before the opening it follows");
    }

    /// <summary>A fake clock whose next stamp, once armed, is taken and then held until <see cref="Resume"/>.</summary>
    private sealed class PausingClock : FakeTimeProvider
    {
        private int _armed;

        public SemaphoreSlim Stamped { get; } = new(0);

        public SemaphoreSlim Resume { get; } = new(0);

        public void PauseNextStamp() => Volatile.Write(ref _armed, 1);

        public override long GetTimestamp()
        {
            var stamp = base.GetTimestamp();
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Stamped.Release();
                if (!Resume.Wait(Bound))
                {
                    throw new TimeoutException("the paused stamp was never resumed");
                }
            }

            return stamp;
        }
    }
}
