using System.Device.Gpio;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Hardware.Tests;

/// <summary>The simulated chip, always through a real <see cref="GpioController"/>.</summary>
public sealed class SimulatedGpioDriverTests : IDisposable
{
    private readonly SimulatedGpioDriver _driver = new(lineCount: 8);
    private readonly GpioController _controller;

    public SimulatedGpioDriverTests() => _controller = new GpioController(_driver);

    public void Dispose() => _controller.Dispose();

    [Fact]
    public void Pulls_decide_the_level_of_an_undriven_input()
    {
        _controller.OpenPin(1, PinMode.InputPullUp);
        _controller.OpenPin(2, PinMode.InputPullDown);
        _controller.OpenPin(3, PinMode.Input);

        Assert.Equal(PinValue.High, _controller.Read(1));
        Assert.Equal(PinValue.Low, _controller.Read(2));
        Assert.Equal(PinValue.Low, _controller.Read(3));
    }

    [Fact]
    public void An_external_level_overrides_the_pull()
    {
        _controller.OpenPin(1, PinMode.InputPullUp);
        _driver.SetInputLevel(1, high: false);

        Assert.Equal(PinValue.Low, _controller.Read(1));
    }

    [Fact]
    public void A_level_set_before_the_line_is_opened_is_read_after_it()
    {
        _driver.SetInputLevel(4, high: true);
        _controller.OpenPin(4, PinMode.InputPullDown);

        Assert.Equal(PinValue.High, _controller.Read(4));
    }

    [Fact]
    public void Edges_reach_only_callbacks_registered_for_their_type()
    {
        var rising = new List<int>();
        var falling = new List<int>();
        _controller.OpenPin(2, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(2, PinEventTypes.Rising, (_, e) => rising.Add(e.PinNumber));
        _controller.RegisterCallbackForPinValueChangedEvent(2, PinEventTypes.Falling, (_, e) => falling.Add(e.PinNumber));

        _driver.SetInputLevel(2, high: true);
        _driver.SetInputLevel(2, high: true); // no change, no edge
        _driver.SetInputLevel(2, high: false);

        Assert.Equal([2], rising);
        Assert.Equal([2], falling);
    }

    [Fact]
    public void A_silent_level_change_is_read_but_raises_no_edge_like_a_dropped_kernel_event()
    {
        var edges = new List<PinEventTypes>();
        _controller.OpenPin(2, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(2, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => edges.Add(e.ChangeType));

        _driver.SetInputLevelSilently(2, high: true);

        Assert.Equal(PinValue.High, _controller.Read(2));
        Assert.Empty(edges);
        _driver.SetInputLevel(2, high: false); // the next real change is an edge again
        Assert.Equal([PinEventTypes.Falling], edges);
    }

    [Fact]
    public void Held_events_wait_with_the_level_already_changed_and_are_delivered_in_order_on_release()
    {
        var edges = new List<PinEventTypes>();
        _controller.OpenPin(2, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(2, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => edges.Add(e.ChangeType));

        _driver.HoldEvents();
        _driver.SetInputLevel(2, high: true);
        _driver.SetInputLevel(2, high: false);
        _driver.SetInputLevel(2, high: true);

        Assert.Equal(PinValue.High, _controller.Read(2));
        Assert.Empty(edges);
        _driver.ReleaseEvents();
        Assert.Equal([PinEventTypes.Rising, PinEventTypes.Falling, PinEventTypes.Rising], edges);
    }

    [Fact]
    public void Setting_the_level_a_pull_already_gives_is_no_edge()
    {
        var edges = 0;
        _controller.OpenPin(1, PinMode.InputPullUp);
        _controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising | PinEventTypes.Falling, (_, _) => edges++);

        _driver.SetInputLevel(1, high: true);

        Assert.Equal(0, edges);
    }

    [Fact]
    public void A_line_beyond_the_chip_is_refused_with_its_number()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _controller.OpenPin(8, PinMode.Input));

        Assert.Contains("Line 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("0..7", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => _driver.SetInputLevel(-1, true));
        Assert.Equal(8, _controller.PinCount);
    }

    [Fact]
    public void A_line_another_process_holds_cannot_be_opened_until_it_is_released()
    {
        _driver.HoldElsewhere(3, "gpiomon");

        var error = Assert.Throws<IOException>(() => _controller.OpenPin(3, PinMode.InputPullUp));

        Assert.Equal("Line 3 is busy: it is requested by 'gpiomon' (EBUSY).", error.Message);
        Assert.False(_controller.IsPinOpen(3));
        _driver.ReleaseElsewhere(3);
        _controller.OpenPin(3, PinMode.InputPullUp);
        Assert.Equal(PinValue.High, _controller.Read(3));
    }

    [Fact]
    public void A_line_held_elsewhere_can_be_refused_when_its_mode_is_set_leaving_it_counted_open()
    {
        _driver.HoldElsewhere(3, "gpiomon", refusedAtMode: true);

        var error = Assert.Throws<IOException>(() => _controller.OpenPin(3, PinMode.InputPullUp));

        Assert.Equal("Line 3 is busy: it is requested by 'gpiomon' (EBUSY).", error.Message);
        Assert.True(_controller.IsPinOpen(3), "libgpiod v1 fails after GpioController counted the pin open");
        _controller.ClosePin(3);
        _driver.ReleaseElsewhere(3);
        _controller.OpenPin(3, PinMode.InputPullUp);
        Assert.Equal(PinValue.High, _controller.Read(3));
    }

    [Fact]
    public void Supports_the_input_and_output_modes_only()
    {
        Assert.True(_controller.IsPinModeSupported(0, PinMode.Input));
        Assert.True(_controller.IsPinModeSupported(0, PinMode.InputPullUp));
        Assert.True(_controller.IsPinModeSupported(0, PinMode.InputPullDown));
        Assert.True(_controller.IsPinModeSupported(0, PinMode.Output));
        Assert.False(_controller.IsPinModeSupported(0, (PinMode)99));
    }

    [Fact]
    public void An_output_opened_with_a_value_starts_there_without_a_glitch()
    {
        _controller.OpenPin(5, PinMode.Output, PinValue.High);

        Assert.Equal(PinMode.Output, _driver.ModeOf(5));
        Assert.True(_driver.GetOutputLevel(5));
        Assert.Equal([true], _driver.DrivenLevels(5));
        Assert.Equal(0, _driver.WriteCount(5));
    }

    [Fact]
    public void An_output_opened_then_written_shows_the_glitch_the_initial_value_avoids()
    {
        // The pattern GpioOutputLines must not use: the line is low for a moment before the write.
        _controller.OpenPin(5, PinMode.Output);
        _controller.Write(5, PinValue.High);

        Assert.Equal([false, true], _driver.DrivenLevels(5));
        Assert.Equal([(5, true)], _driver.Writes);
    }

    [Fact]
    public void A_closed_output_keeps_its_level_and_reports_no_mode()
    {
        _controller.OpenPin(6, PinMode.Output, PinValue.High);
        _controller.ClosePin(6);

        Assert.True(_driver.GetOutputLevel(6));
        Assert.False(_driver.IsOpen(6));
        Assert.Null(_driver.ModeOf(6));
    }

    [Fact]
    public void Callbacks_run_outside_the_driver_lock()
    {
        // Another thread reads the chip while a callback is running; were the lock held, it would hang.
        _controller.OpenPin(1, PinMode.InputPullDown);
        _controller.OpenPin(2, PinMode.InputPullUp);
        var readFromOtherThread = false;
        _controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising, (_, _) =>
            readFromOtherThread = Task.Run(() => _controller.Read(2)).Wait(TimeSpan.FromSeconds(10)));

        _driver.SetInputLevel(1, high: true);

        Assert.True(readFromOtherThread);
    }

    [Fact]
    public void An_edge_raised_inside_a_callback_is_delivered_after_it_in_order()
    {
        var seen = new List<string>();
        _controller.OpenPin(1, PinMode.InputPullDown);
        _controller.OpenPin(2, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising, (_, _) =>
        {
            _driver.SetInputLevel(2, high: true);
            seen.Add("line 1");
        });
        _controller.RegisterCallbackForPinValueChangedEvent(2, PinEventTypes.Rising, (_, _) => seen.Add("line 2"));

        _driver.SetInputLevel(1, high: true);

        Assert.Equal(["line 1", "line 2"], seen);
    }

    [Fact]
    public void A_throwing_callback_stops_event_delivery_like_the_libgpiod_event_thread()
    {
        var delivered = 0;
        _controller.OpenPin(1, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising | PinEventTypes.Falling, (_, _) =>
        {
            delivered++;
            throw new InvalidOperationException("queue full");
        });

        _driver.SetInputLevel(1, high: true);
        _driver.SetInputLevel(1, high: false);

        Assert.Equal(1, delivered);
        Assert.IsType<InvalidOperationException>(_driver.EventThreadFault);
    }

    [Fact]
    public void Unregistered_callbacks_are_not_called()
    {
        var edges = 0;
        PinChangeEventHandler handler = (_, _) => edges++;
        _controller.OpenPin(1, PinMode.InputPullDown);
        _controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising, handler);
        _controller.UnregisterCallbackForPinValueChangedEvent(1, handler);

        _driver.SetInputLevel(1, high: true);

        Assert.Equal(0, edges);
        Assert.Equal(0, _driver.CallbackCount(1));
    }

    [Fact]
    public async Task WaitForEvent_returns_the_edge_or_times_out()
    {
        _controller.OpenPin(3, PinMode.InputPullUp);
        var waiting = Task.Run(() => _controller.WaitForEvent(3, PinEventTypes.Falling, TimeSpan.FromSeconds(30)));
        // The waiter registers on another thread at some point: pulse until it has seen a falling edge.
        while (!waiting.IsCompleted)
        {
            _driver.SetInputLevel(3, high: false);
            _driver.SetInputLevel(3, high: true);
            await Task.Delay(1);
        }

        var result = await waiting;
        var timedOut = _controller.WaitForEvent(3, PinEventTypes.Rising, TimeSpan.FromMilliseconds(20));

        Assert.False(result.TimedOut);
        Assert.Equal(PinEventTypes.Falling, result.EventTypes);
        Assert.True(timedOut.TimedOut);
    }

    [Fact]
    public async Task WaitForEventAsync_completes_on_the_edge()
    {
        _controller.OpenPin(3, PinMode.InputPullDown);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var waiting = _controller.WaitForEventAsync(3, PinEventTypes.Rising, cancel.Token).AsTask();

        _driver.SetInputLevel(3, high: true);
        var result = await waiting;

        Assert.False(result.TimedOut);
        Assert.Equal(PinEventTypes.Rising, result.EventTypes);
    }

    [Fact]
    public void Concurrent_wires_deliver_every_edge_of_every_line()
    {
        const int Lines = 8;
        const int Toggles = 500;
        var counts = new int[Lines];
        for (var line = 0; line < Lines; line++)
        {
            _controller.OpenPin(line, PinMode.InputPullDown);
            _controller.RegisterCallbackForPinValueChangedEvent(
                line, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => Interlocked.Increment(ref counts[e.PinNumber]));
        }

        Parallel.For(0, Lines, line =>
        {
            for (var i = 0; i < Toggles; i++)
            {
                _driver.SetInputLevel(line, high: i % 2 == 0);
            }
        });

        Assert.All(counts, count => Assert.Equal(Toggles, count));
        Assert.Null(_driver.EventThreadFault);
    }
}
