using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>
/// The fast poll is a periodic timer doing I2C: on a hung bus (1 s per transaction) its ticks must not pile
/// up blocked pool threads behind the one that hangs. The timer's callback is run from two threads as the
/// pool would; the stuck transaction is a gate in the simulated chip, not a wall-clock delay.
/// </summary>
public sealed class Mcp23017LinesOverlapTests : IDisposable
{
    private const int IntLine = 17;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly FakeMcp23017 _fake = new();
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly TimerRecordingClock _time = new();

    public Mcp23017LinesOverlapTests()
    {
        _controller = new GpioController(_host);
        _host.SetInputLevel(IntLine, true);
    }

    public void Dispose()
    {
        _controller.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public async Task A_fast_poll_tick_while_the_last_one_hangs_on_the_bus_returns_without_waiting()
    {
        // Another process holds the interrupt line: the chip is read on the fast-poll timer.
        _host.HoldElsewhere(IntLine, "gpiomon");
        using var lines = new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [new ExpanderInput("panic-annex", 0, LinePull.Up)], [], _time);
        lines.Start(_ => { });
        var fastPoll = Assert.Single(_time.Callbacks);

        _fake.Hold = _ => true;
        var first = Task.Run(() => fastPoll(null));
        try
        {
            Assert.True(await _fake.Held.WaitAsync(Bound), "the first tick never reached the bus");

            await Task.Run(() => fastPoll(null)).WaitAsync(Bound);
            Assert.Equal(0, _fake.Held.CurrentCount); // the second tick never touched the bus
        }
        finally
        {
            _fake.Hold = null;
            _fake.Unhold.Release(16);
        }

        await first.WaitAsync(Bound);
    }

    /// <summary>A fake clock that also keeps every timer callback, so a test can run one as the pool would.</summary>
    private sealed class TimerRecordingClock : FakeTimeProvider
    {
        public List<TimerCallback> Callbacks { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Callbacks.Add(callback);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
