using System.Device.Gpio;

namespace EdgeGuard.Hardware.Tests;

/// <summary>
/// Records what a driver shaped like System.Device.Gpio 4.2.0's <c>LibGpiodV2Driver</c> drives: it
/// does not override the three-argument <c>SetPinMode</c>, <c>OpenPin</c> requests a line "as is",
/// <c>SetPinMode(Output)</c> makes it an output at libgpiod's default value (low), and <c>Write</c>
/// on a line not yet an output makes it one at the written level in one request. The simulated
/// driver overrides the three-argument overload, so it cannot show the boot glitch this does.
/// </summary>
internal sealed class LibGpiodV2LikeDriver : GpioDriver
{
    private readonly Dictionary<int, PinMode?> _open = [];
    private readonly Dictionary<int, List<bool>> _driven = [];
    private readonly Dictionary<int, PinValue> _inputLevels = [];
    private readonly Dictionary<int, int> _callbacks = [];

    public bool Disposed { get; private set; }

    /// <summary>Every level the line drove, in order; a boot glitch is an extra entry.</summary>
    public IReadOnlyList<bool> DrivenLevels(int line) => _driven.TryGetValue(line, out var levels) ? levels : [];

    public PinMode? ModeOf(int line) => _open.TryGetValue(line, out var mode) ? mode : null;

    public bool IsOpen(int line) => _open.ContainsKey(line);

    public int CallbackCount(int line) => _callbacks.GetValueOrDefault(line);

    public void SetInputLevel(int line, PinValue level) => _inputLevels[line] = level;

    protected override int PinCount => 64;

    protected override void OpenPin(int pinNumber) => _open[pinNumber] = null;

    protected override void ClosePin(int pinNumber) => _open.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        var was = _open[pinNumber];
        _open[pinNumber] = mode;
        if (mode == PinMode.Output && was != PinMode.Output)
        {
            // libgpiod's line settings default to the inactive output value.
            Drive(pinNumber, high: false);
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => _open[pinNumber] ?? PinMode.Input;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber) => _inputLevels.GetValueOrDefault(pinNumber, PinValue.Low);

    protected override void Write(int pinNumber, PinValue value)
    {
        // One request either way: a line not yet an output is reconfigured with direction and value.
        _open[pinNumber] = PinMode.Output;
        Drive(pinNumber, value == PinValue.High);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        _callbacks[pinNumber] = CallbackCount(pinNumber) + 1;

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _callbacks[pinNumber] = CallbackCount(pinNumber) - 1;

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    private void Drive(int line, bool high)
    {
        if (!_driven.TryGetValue(line, out var levels))
        {
            _driven[line] = levels = [];
        }

        levels.Add(high);
    }
}
