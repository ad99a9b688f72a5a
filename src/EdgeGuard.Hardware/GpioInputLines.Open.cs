using System.Device.Gpio;

namespace EdgeGuard.Hardware;

// Opening the input lines one by one. Until 2026-12-07 they opened as a unit (LineSet.OpenAll): one
// line the kernel refused (EBUSY from a leftover gpiomon or a device-tree overlay on that GPIO; EIO)
// made the constructor throw, so the controller could not be built and the host did not start: no
// output opened at its boot level, no fire input read for the egress release, no panic button
// watched, and systemd restarted into the same failure. A line beyond the chip or used twice is a
// configuration error, refused before startup (GatewayConfigReader, and RefuseOpen below); what is
// left is the hardware's, and is one point's fault, as it is for an output line (GpioOutputLines).
// So a refused line is left closed and reads as a line that cannot be read: the settled boot read
// raises fault.hardware naming its point, which then holds its fail-safe level, and every read of
// it (the resync pass's each second, ReadBeforeOutputs) tries to open it again. Once it opens,
// its edge callback goes in with it, and the pass delivers its level and restores the fault, as
// after any failed read. A callback the driver refuses is the same failure: an input that is open
// but gives no edges would hear a short press only if it lasted until the next pass.
public sealed partial class GpioInputLines
{
    // Taken to open a line and put its callback in; never by a callback, so the driver's own lock,
    // which it may hold while it runs callbacks, is never waited for under a line's gate.
    private readonly Lock _openGate = new();

    /// <summary>
    /// Reads a line's level, opening it first when it was refused before.
    /// </summary>
    /// <exception cref="HardwareException">The line is still refused; the message names it, its point and why.</exception>
    private PinValue ReadLevel(InputLine line)
    {
        if (Volatile.Read(ref line.OpenFailure) is not null)
        {
            TryOpen(line);
            if (Volatile.Read(ref line.OpenFailure) is { } failure)
            {
                throw new HardwareException($"{failure.TrimEnd('.')}; tried again every {ResyncInterval.TotalSeconds:0} s.");
            }
        }

        return _controller.Read(line.Point.Line);
    }

    /// <summary>Opens every line on its own; one the kernel refuses is left closed (see above).</summary>
    private void OpenEach()
    {
        // Used by another input or an output of this process: a configuration error, refused whole.
        LineSet.RefuseOpen(_controller, _lines.Values.Select(Request));
        foreach (var line in _lines.Values)
        {
            line.OpenFailure = LineSet.TryOpen(_controller, Request(line));
        }
    }

    /// <summary>Opens a refused line, with its callback once edges are delivered; records why when it cannot.</summary>
    private void TryOpen(InputLine line)
    {
        lock (_openGate)
        {
            if (_disposed || line.OpenFailure is null)
            {
                return;
            }

            // A leftover of this set's own (a close that failed after a refused callback) would read as a line
            // "in use by another input or output" for good: closed first, as nothing else here holds it.
            LineSet.CloseAll(_controller, [line.Point.Line]);
            var failure = LineSet.TryOpen(_controller, Request(line));
            if (failure is null && Volatile.Read(ref _onEdge) is not null)
            {
                failure = TryRegister(line);
            }

            Volatile.Write(ref line.OpenFailure, failure);
        }
    }

    /// <summary>
    /// Puts in an open line's edge callback. One the driver refuses closes the line again, to be
    /// opened with its callback by a later read: null when it went in, else why not.
    /// </summary>
    private string? TryRegister(InputLine line)
    {
        PinChangeEventHandler handler = (_, args) => OnPinChanged(line, args);
        try
        {
            _controller.RegisterCallbackForPinValueChangedEvent(line.Point.Line, PinEventTypes.Rising | PinEventTypes.Falling, handler);
            line.Handler = handler;
            return null;
        }
#pragma warning disable CA1031 // Any refusal is this line's fault; the other lines must still get theirs.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LineSet.CloseAll(_controller, [line.Point.Line]);
            return $"Line {line.Point.Line} for '{line.Point.Id}' gives no edge events: {ex.Message}";
        }
    }

    /// <summary>Puts in every open line's edge callback, at <see cref="Start"/>, which holds the open gate.</summary>
    private void RegisterEach()
    {
        foreach (var line in _lines.Values.Where(l => l.OpenFailure is null))
        {
            Volatile.Write(ref line.OpenFailure, TryRegister(line));
        }
    }

    private static LineRequest Request(InputLine line) => new(line.Point.Line, line.Point.Id, ModeFor(line.Point.Pull));
}
