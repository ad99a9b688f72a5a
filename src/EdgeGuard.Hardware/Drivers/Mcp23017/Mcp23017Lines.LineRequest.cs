using System.Device.Gpio;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

// Requesting the host's interrupt line, and running without it. The kernel can refuse the request (EBUSY: a
// leftover gpiomon, a device-tree overlay holding the GPIO) while the chip answers perfectly: that chip is not
// dead, so it keeps its configured pins and is read every FastPollInterval, as when the line is judged faulty,
// and every supervision sweep requests the line again. Kept apart from the interrupt path in Interrupts.cs.
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

    /// <summary>From the constructor: raises the fault for a refused line and starts the fast poll in its place.</summary>
    private void PollWithoutLine(string refused)
    {
        // The first refusal stands for the episode, as a miss does: the bank reports the fault once.
        _lineRefused = $"its interrupt line (host GPIO {_interruptLine}) could not be requested as an input with pull-up: "
            + $"{refused}; supervision reads the chip every {FastPollInterval.TotalMilliseconds:0} ms instead, and requests "
            + "the line again at every supervision sweep";
        _fastPoll = _time.CreateTimer(_ => FastPoll(), null, FastPollInterval, FastPollInterval);
    }

    /// <summary>
    /// From <see cref="Sweep"/>: requests a line refused so far. Once held, the chip is listened to (after
    /// <see cref="Start"/>), the refusal is over and, unless the line is also judged faulty, the fast poll stops.
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

            _lineRefused = null;
            if (_onEdge is not null)
            {
                Listen();
            }

            if (_lineFault is null)
            {
                _fastPoll?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Registers the interrupt callback once, on a held line. Under the lock.</summary>
    private void Listen()
    {
        if (_handler is null)
        {
            _handler = (_, _) => Service(fromEdge: true);
            _controller.RegisterCallbackForPinValueChangedEvent(_interruptLine, PinEventTypes.Falling, _handler);
        }
    }
}
