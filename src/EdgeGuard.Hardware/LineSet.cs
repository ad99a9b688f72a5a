using System.Device.Gpio;

namespace EdgeGuard.Hardware;

/// <summary>One line to open: which, for whom (used in messages), how, and at what level for an output.</summary>
internal readonly record struct LineRequest(int Line, string Owner, PinMode Mode, PinValue? Initial = null);

/// <summary>
/// Opens and closes a group of lines as a unit: either every line opens or none stays open, so a
/// configuration typo cannot start half a gateway.
/// </summary>
internal static class LineSet
{
    public static void OpenAll(GpioController controller, IEnumerable<LineRequest> requests)
    {
        var opened = new List<int>();
        foreach (var request in requests)
        {
            if (controller.IsPinOpen(request.Line))
            {
                CloseAll(controller, opened);
                throw new HardwareException($"Line {request.Line} for '{request.Owner}' is already in use by another input or output.");
            }

            try
            {
                if (request.Initial is { } initial)
                {
                    controller.OpenPin(request.Line, request.Mode, initial);
                }
                else
                {
                    controller.OpenPin(request.Line, request.Mode);
                }

                opened.Add(request.Line);
            }
            catch (Exception ex) when (ex is not HardwareException)
            {
                // OpenPin may have opened the line and then failed to set its mode.
                if (controller.IsPinOpen(request.Line))
                {
                    opened.Add(request.Line);
                }

                CloseAll(controller, opened);
                throw new HardwareException(
                    $"Line {request.Line} for '{request.Owner}' could not be opened as {request.Mode}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// Refuses the group when one of its lines is open in this process already (another input or output:
    /// a configuration error), before any line of it is opened.
    /// </summary>
    /// <exception cref="HardwareException">A line is open already.</exception>
    public static void RefuseOpen(GpioController controller, IEnumerable<LineRequest> requests)
    {
        foreach (var request in requests)
        {
            if (controller.IsPinOpen(request.Line))
            {
                throw new HardwareException($"Line {request.Line} for '{request.Owner}' is already in use by another input or output.");
            }
        }
    }

    /// <summary>
    /// Opens one line on its own; a line the kernel refuses (EBUSY, EIO) is left closed, not thrown.
    /// </summary>
    /// <returns>Null when the line is open; else why it could not be opened, naming the line and its owner.</returns>
    public static string? TryOpen(GpioController controller, LineRequest request)
    {
        try
        {
            OpenAll(controller, [request]);
            return null;
        }
        catch (HardwareException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Closes every line that is open, continuing past failures so one bad line cannot keep the others.</summary>
    public static void CloseAll(GpioController controller, IEnumerable<int> lines)
    {
        foreach (var line in lines)
        {
            BestEffort(() =>
            {
                if (controller.IsPinOpen(line))
                {
                    controller.ClosePin(line);
                }
            });
        }
    }

    /// <summary>
    /// Disposes every part, even after one throws: a part left undisposed behind a failing one would be an
    /// expander writer never drained, so a last egress release queued on it would go unwritten.
    /// </summary>
    /// <exception cref="AggregateException">One or more parts threw; each one's exception is inside.</exception>
    public static void DisposeAll(IEnumerable<IDisposable> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        List<Exception>? failures = null;
        foreach (var part in parts)
        {
            try
            {
                part.Dispose();
            }
#pragma warning disable CA1031 // Collected and thrown together once every part has had its turn.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (failures ??= []).Add(ex);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("One or more sets of lines failed to close.", failures);
        }
    }

    /// <summary>Runs a clean-up step whose failure must not stop the remaining clean-up.</summary>
    public static void BestEffort(Action step)
    {
        try
        {
            step();
        }
#pragma warning disable CA1031 // Clean-up on dispose: there is nobody left to report to, and the next step matters more.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
