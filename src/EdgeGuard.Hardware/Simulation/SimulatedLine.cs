using System.Device.Gpio;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>The state of one simulated line. Not thread-safe: <see cref="SimulatedGpioDriver"/> guards it.</summary>
internal sealed class SimulatedLine
{
    public bool Open { get; set; }

    /// <summary>Another process's request for the line (its consumer name), or null: opening it fails.</summary>
    public string? HeldElsewhere { get; set; }

    /// <summary>The holder is noticed when the mode is set, not when the line is opened (libgpiod v1).</summary>
    public bool HeldRefusedAtMode { get; set; }

    /// <summary>Null until the line is first opened; kept when closed, as the hardware keeps it.</summary>
    public PinMode? Mode { get; set; }

    /// <summary>The level the outside world applies; null while nothing drives the wire.</summary>
    public bool? External { get; set; }

    public bool OutputLevel { get; private set; }

    public List<bool> DrivenLevels { get; } = [];

    public int WriteCount { get; set; }

    /// <summary>How many of the next writes fail (an EIO from the character device); see <c>FailWrites</c>.</summary>
    public int FailingWrites { get; set; }

    /// <summary>How many of the next reads fail (an EIO from the character device); see <c>FailReads</c>.</summary>
    public int FailingReads { get; set; }

    /// <summary>Edge events are refused on the line (<see cref="SimulatedGpioDriver.RefuseEdgeEvents"/>).</summary>
    public bool RefusesEdgeEvents { get; set; }

    public List<(PinEventTypes Types, PinChangeEventHandler Handler)> Callbacks { get; } = [];

    public List<(PinEventTypes Types, TaskCompletionSource<WaitForEventResult> Waiter)> Waiters { get; } = [];

    /// <summary>What an input reads: the external level, else its pull; a floating input reads low.</summary>
    public bool InputLevel => External ?? Mode == PinMode.InputPullUp;

    /// <summary>Drives the output level, recording it when the line's waveform changes.</summary>
    public void Drive(bool high, bool becomingOutput)
    {
        if (becomingOutput || high != OutputLevel)
        {
            DrivenLevels.Add(high);
        }

        OutputLevel = high;
    }

    // Loops, not queries: both run for every simulated edge, which the end-to-end bench times.
    public PinChangeEventHandler[] HandlersFor(PinEventTypes edge)
    {
        var handlers = new List<PinChangeEventHandler>(Callbacks.Count);
        foreach (var (types, handler) in Callbacks)
        {
            if ((types & edge) != 0)
            {
                handlers.Add(handler);
            }
        }

        return [.. handlers];
    }

    /// <summary>Removes and returns the waiters interested in <paramref name="edge"/>.</summary>
    public List<TaskCompletionSource<WaitForEventResult>> TakeWaiters(PinEventTypes edge)
    {
        var taken = new List<TaskCompletionSource<WaitForEventResult>>();
        var kept = 0;
        for (var i = 0; i < Waiters.Count; i++)
        {
            var waiter = Waiters[i];
            if ((waiter.Types & edge) != 0)
            {
                taken.Add(waiter.Waiter);
            }
            else
            {
                Waiters[kept++] = waiter;
            }
        }

        Waiters.RemoveRange(kept, Waiters.Count - kept);
        return taken;
    }
}
