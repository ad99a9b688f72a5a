using System.Device.Gpio;

namespace EdgeGuard.Hardware;

/// <summary>
/// Puts libgpiod v2's driver in front of <see cref="GpioController"/> so that opening a line as an
/// output at a level is one line request that sets the direction and the level together, as the
/// v1 driver does: no glitch at boot.
/// </summary>
/// <remarks>
/// <para>
/// Why: <c>LibGpiodV2Driver</c> (System.Device.Gpio 4.2.0) does not override
/// <c>SetPinMode(int, PinMode, PinValue)</c>, so
/// <see cref="GpioController.OpenPin(int, PinMode, PinValue)"/> falls through to
/// <see cref="GpioDriver"/>'s default: <c>SetPinMode(Output)</c>, which reconfigures the request as
/// an output at libgpiod's default value (inactive: low on an active-high line), then
/// <c>Write(initial)</c>. A maglock the restored plan holds locked, which the kernel kept high
/// across the restart, was dropped for the time between the two requests at every start.
/// </para>
/// <para>
/// How: the v2 driver's <c>Write</c> on a line it has requested with a direction other than output
/// reconfigures that request with the direction <em>and</em> the output value in one call, and
/// <c>OpenPin</c> requests the line "as is" (it does not touch the direction or level). So the
/// three-argument <c>SetPinMode</c> for <see cref="PinMode.Output"/> is forwarded as that write.
/// Only for a driver whose <c>Write</c> behaves so; libgpiod v1 and the simulated driver override
/// the three-argument overload themselves and are used unwrapped.
/// </para>
/// <para>
/// The wrapped driver's members are <c>protected internal</c>, out of reach from this assembly, so
/// it is driven through a <see cref="GpioController"/> of its own. Writes go through
/// <see cref="GpioController.Write(ReadOnlySpan{PinValuePair})"/>, which reaches the driver
/// directly: <see cref="GpioController.Write(int, PinValue)"/> skips the driver while the kernel
/// reports the line as not yet an output, and would make the controller's later <c>SetPinMode</c>
/// calls pass a stale level.
/// </para>
/// </remarks>
public sealed class SingleRequestOutputDriver : GpioDriver
{
    private readonly GpioDriver _driver;
    private readonly GpioController _inner;

    /// <summary>Wraps a driver; disposing this disposes it.</summary>
    /// <param name="driver">
    /// A driver whose <c>Write</c> makes an opened line an output at that level in one request.
    /// </param>
    public SingleRequestOutputDriver(GpioDriver driver)
    {
        ArgumentNullException.ThrowIfNull(driver);
        _driver = driver;
        _inner = new GpioController(driver);
    }

    /// <inheritdoc/>
    protected override int PinCount => _inner.PinCount;

    /// <inheritdoc/>
    public override GpioChipInfo GetChipInfo() => _driver.GetChipInfo();

    /// <inheritdoc/>
    protected override void OpenPin(int pinNumber) => _inner.OpenPin(pinNumber);

    /// <inheritdoc/>
    protected override void ClosePin(int pinNumber) => _inner.ClosePin(pinNumber);

    /// <inheritdoc/>
    protected override void SetPinMode(int pinNumber, PinMode mode) => _inner.SetPinMode(pinNumber, mode);

    /// <summary>
    /// An output becomes one at <paramref name="initialValue"/> in a single request (the wrapped
    /// driver's <c>Write</c>); any other mode ignores the value, as the base class does.
    /// </summary>
    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue)
    {
        if (mode == PinMode.Output)
        {
            // Not SetPinMode first: that request would drive the line low before the level arrives.
            _inner.Write([new PinValuePair(pinNumber, initialValue)]);
            return;
        }

        _inner.SetPinMode(pinNumber, mode);
    }

    /// <inheritdoc/>
    protected override PinMode GetPinMode(int pinNumber) => _inner.GetPinMode(pinNumber);

    /// <inheritdoc/>
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => _inner.IsPinModeSupported(pinNumber, mode);

    /// <inheritdoc/>
    protected override PinValue Read(int pinNumber) => _inner.Read(pinNumber);

    /// <inheritdoc/>
    protected override void Write(int pinNumber, PinValue value) => _inner.Write([new PinValuePair(pinNumber, value)]);

    /// <inheritdoc/>
    protected override void Write(ReadOnlySpan<PinValuePair> pinValuePairs) => _inner.Write(pinValuePairs);

    /// <inheritdoc/>
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        _inner.WaitForEvent(pinNumber, eventTypes, cancellationToken);

    /// <inheritdoc/>
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        _inner.RegisterCallbackForPinValueChangedEvent(pinNumber, eventTypes, callback);

    /// <inheritdoc/>
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _inner.UnregisterCallbackForPinValueChangedEvent(pinNumber, callback);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Closes the lines still open on the wrapped driver, then disposes it.
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
