using System.Device.Gpio;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

// Requesting the host's interrupt line, and running without it. The kernel can refuse the request (EBUSY: a
// leftover gpiomon, a device-tree overlay holding the GPIO) while the chip answers perfectly: that chip is not
// dead, so it keeps its configured pins and is read every FastPollInterval, as when the line is judged faulty,
// and every supervision sweep requests the line again. The driver can also refuse the line's edge callback
// after the request succeeded (EIO: a line with no interrupt; the libgpiod v1 driver requests the line again
// for its events, and another process may take it in between). Until 2026-12-07 that throw escaped Start:
// the bank, the EOL loops after it and the controller never started (systemd restarting into the same
// failure), and a chip configured late was torn down and re-initialised every second as "did not answer".
// It is the same fault as a refused request, so it is handled as one. Kept apart from Interrupts.cs.
public sealed partial class Mcp23017Lines
{
    // Whether this instance holds the host line: written under the lock, read without it by LineAsserted.
    private bool _lineOpen;

    // Why the line could not be requested, or null once it is held. Under the lock.
    private string? _lineRefused;

    private bool LineOpen => Volatile.Read(ref _lineOpen);

    /// <summary>Requests the host line as an input with pull-up. Under the lock (or from the constructor).</summary>
    /// <returns>Null once held; the kernel's refusal otherwise.</returns>
    private string? TryRequestLine()
    {
        try
        {
            LineSet.OpenAll(_controller, [new LineRequest(_interruptLine, $"{_chip.Name} INT", PinMode.InputPullUp)]);
            Volatile.Write(ref _lineOpen, true);
            return null;
        }
        catch (HardwareException ex)
        {
            // The driver's own words (EBUSY and who holds it, where it says) name the cause; LineSet's wrapper
            // only repeats the line.
            return (ex.InnerException?.Message ?? ex.Message).TrimEnd('.');
        }
    }

    /// <summary>
    /// Raises the fault for a line refused (its request, from the constructor; its callback, from <see cref="Start"/>)
    /// and starts the fast poll in its place. Under the lock (or from the constructor).
    /// </summary>
    /// <param name="refused">What was refused and why, completing "its interrupt line (host GPIO n) …".</param>
    private void PollWithoutLine(string refused)
    {
        // The first refusal stands for the episode, as a miss does: the bank reports the fault once.
        _lineRefused = $"its interrupt line (host GPIO {_interruptLine}) {refused}; supervision reads the chip every "
            + $"{FastPollInterval.TotalMilliseconds:0} ms instead, and requests the line again at every supervision sweep";
        _fastPoll ??= _time.CreateTimer(_ => FastPoll(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _fastPoll.Change(FastPollInterval, FastPollInterval);
    }

    /// <summary>
    /// From <see cref="Sweep"/>: requests a line refused so far. Once held and listened to (after <see cref="Start"/>;
    /// a callback refused again closes it, the first reason standing), the refusal is over and, unless the line is
    /// also judged faulty, the fast poll stops.
    /// The line is then trusted as a line requested at start-up is: the sweep judges it from now on.
    /// </summary>
    private void RequestLineAgain()
    {
        lock (_gate)
        {
            if (_lineRefused is null || _disposed || TryRequestLine() is not null)
            {
                return; // held already, closing, or still refused (the first reason stands)
            }

            if (_onEdge is not null && TryListen() is not null)
            {
                return; // its events still refused: closed again, polled on
            }

            _lineRefused = null;

            if (_lineFault is null)
            {
                _fastPoll?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Registers the interrupt callback once, on a held line. One the driver refuses closes the line again, as a
    /// refused request leaves it, so the sweep that requests it anew puts the callback in with a fresh request
    /// (as GpioInputLines does for a native input). Under the lock.
    /// </summary>
    /// <returns>Null once registered; else what was refused, for <see cref="PollWithoutLine"/>.</returns>
    private string? TryListen()
    {
        if (_handler is not null)
        {
            return null;
        }

        PinChangeEventHandler handler = (_, _) => Service(fromEdge: true);
        try
        {
            _controller.RegisterCallbackForPinValueChangedEvent(_interruptLine, PinEventTypes.Falling, handler);
            _handler = handler;
            return null;
        }
#pragma warning disable CA1031 // Any refusal leaves a chip that answers: polled, never a failed start of the gateway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Not held from here: LineAsserted (read without the lock) must not read a closed line.
            Volatile.Write(ref _lineOpen, false);
            LineSet.CloseAll(_controller, [_interruptLine]);
            return $"gives no edge events (its callback was refused): {ex.Message.TrimEnd('.')}";
        }
    }
}
