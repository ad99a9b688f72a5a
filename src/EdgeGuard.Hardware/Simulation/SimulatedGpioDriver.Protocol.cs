using System.Device.Gpio;

namespace EdgeGuard.Hardware.Simulation;

// The GpioDriver protocol that GpioController calls; the simulator-facing surface is in SimulatedGpioDriver.cs.
public sealed partial class SimulatedGpioDriver
{
    /// <inheritdoc/>
    protected override int PinCount => _lines.Length;

    /// <inheritdoc/>
    public override GpioChipInfo GetChipInfo() => new(0, "gpiochip-sim", "edgeguard-simulated", _lines.Length);

    /// <inheritdoc/>
    protected override void OpenPin(int pinNumber)
    {
        lock (_gate)
        {
            var state = UsableLine(pinNumber);
            if (state.Open)
            {
                throw new InvalidOperationException($"Line {pinNumber} is already open (busy).");
            }

            if (state.HeldElsewhere is { } consumer && !state.HeldRefusedAtMode)
            {
                // What the kernel answers while another process (a leftover gpiomon) holds the line.
                throw new IOException($"Line {pinNumber} is busy: it is requested by '{consumer}' (EBUSY).");
            }

            state.Open = true;
            // Opening does not touch the electrical configuration: a fresh line is an input, a line
            // that was an output keeps driving its level (re-opening a relay must not release it).
            state.Mode ??= PinMode.Input;
        }
    }

    /// <inheritdoc/>
    protected override void ClosePin(int pinNumber)
    {
        List<TaskCompletionSource<WaitForEventResult>> waiters;
        lock (_gate)
        {
            var state = OpenLine(pinNumber);
            state.Open = false;
            state.Callbacks.Clear();
            waiters = state.TakeWaiters(PinEventTypes.Rising | PinEventTypes.Falling);
        }

        ReleaseWaiters(waiters);
    }

    /// <inheritdoc/>
    protected override void SetPinMode(int pinNumber, PinMode mode) => Configure(pinNumber, mode, initialHigh: null);

    /// <inheritdoc/>
    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue) =>
        Configure(pinNumber, mode, initialHigh: initialValue == PinValue.High);

    /// <inheritdoc/>
    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_gate)
        {
            return OpenLine(pinNumber).Mode ?? PinMode.Input;
        }
    }

    /// <inheritdoc/>
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode)
    {
        _ = LineAt(pinNumber); // the line array never changes, so the range check needs no lock
        return IsSupported(mode);
    }

    /// <inheritdoc/>
    protected override PinValue Read(int pinNumber)
    {
        lock (_gate)
        {
            var state = OpenLine(pinNumber);
            if (state.FailingReads > 0)
            {
                state.FailingReads--;
                throw new IOException($"Line {pinNumber}: Input/output error (simulated read failure)");
            }

            var high = state.Mode == PinMode.Output ? state.OutputLevel : state.InputLevel;
            return high ? PinValue.High : PinValue.Low;
        }
    }

    /// <inheritdoc/>
    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_gate)
        {
            var state = OpenLine(pinNumber);
            if (state.Mode != PinMode.Output)
            {
                throw new InvalidOperationException($"Line {pinNumber} is not an output (mode {state.Mode}).");
            }

            if (state.FailingWrites > 0)
            {
                state.FailingWrites--;
                throw new IOException($"Line {pinNumber}: Input/output error (simulated write failure)");
            }

            var high = value == PinValue.High;
            _writes.Add((pinNumber, high));
            state.WriteCount++;
            state.Drive(high, becomingOutput: false);
        }
    }

    /// <inheritdoc/>
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        var waiter = AddWaiter(pinNumber, eventTypes);
        try
        {
            waiter.Task.Wait(cancellationToken);
            return waiter.Task.Result;
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveWaiter(pinNumber, waiter);
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<WaitForEventResult> WaitForEventAsync(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        // Overridden so an awaiting caller does not park a thread-pool thread, unlike the base class.
        var waiter = AddWaiter(pinNumber, eventTypes);
        try
        {
            return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveWaiter(pinNumber, waiter);
        }
    }

    /// <inheritdoc/>
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            var state = OpenLine(pinNumber);
            if (state.RefusesEdgeEvents)
            {
                // What libgpiod answers for a line whose chip has no interrupt for it, or that another
                // process took while the v1 driver re-requested it for events.
                throw new IOException($"Line {pinNumber} cannot report edge events (EIO).");
            }

            state.Callbacks.Add((eventTypes, callback));
        }
    }

    /// <inheritdoc/>
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            OpenLine(pinNumber).Callbacks.RemoveAll(c => c.Handler == callback);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        var waiters = new List<TaskCompletionSource<WaitForEventResult>>();
        lock (_gate)
        {
            _disposed = true;
            _pending.Clear();
            foreach (var state in _lines)
            {
                state.Open = false;
                state.Callbacks.Clear();
                waiters.AddRange(state.TakeWaiters(PinEventTypes.Rising | PinEventTypes.Falling));
            }
        }

        ReleaseWaiters(waiters);
        base.Dispose(disposing);
    }

    private static bool IsInput(PinMode? mode) => mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown;

    private static bool IsSupported(PinMode mode) => IsInput(mode) || mode == PinMode.Output;

    private static void ReleaseWaiters(List<TaskCompletionSource<WaitForEventResult>> waiters)
    {
        var timedOut = new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        foreach (var waiter in waiters)
        {
            waiter.TrySetResult(timedOut);
        }
    }

    private void Configure(int pinNumber, PinMode mode, bool? initialHigh)
    {
        lock (_gate)
        {
            var state = OpenLine(pinNumber);
            if (!IsSupported(mode))
            {
                throw new InvalidOperationException($"Line {pinNumber} does not support mode {mode}.");
            }

            if (state.HeldElsewhere is { } consumer && state.HeldRefusedAtMode)
            {
                // libgpiod v1's driver requests the line only when its mode is set, after
                // GpioController has counted the pin open: the caller must close it.
                throw new IOException($"Line {pinNumber} is busy: it is requested by '{consumer}' (EBUSY).");
            }

            if (mode == PinMode.Output)
            {
                // The level is set in the same step as the direction, as libgpiod requests it, so a
                // relay that must stay energised never sees a low pulse while the gateway boots.
                state.Drive(initialHigh ?? false, becomingOutput: state.Mode != PinMode.Output);
            }

            state.Mode = mode;
        }
    }

    private TaskCompletionSource<WaitForEventResult> AddWaiter(int pinNumber, PinEventTypes eventTypes)
    {
        var waiter = new TaskCompletionSource<WaitForEventResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            OpenLine(pinNumber).Waiters.Add((eventTypes, waiter));
        }

        return waiter;
    }

    private void RemoveWaiter(int pinNumber, TaskCompletionSource<WaitForEventResult> waiter)
    {
        lock (_gate)
        {
            LineAt(pinNumber).Waiters.RemoveAll(w => w.Waiter == waiter);
        }
    }
}
