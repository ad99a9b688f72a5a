using System.Globalization;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// The gateway board's own health, as the kernel shows it in sysfs: its supply's under-voltage flag
/// (the Raspberry Pi firmware's, hwmon <c>rpi_volt</c>, <c>in0_lcrit_alarm</c>) and its processor's
/// temperature (<c>thermal_zone0</c>). Either is a <c>fault.hardware</c> (device <see cref="SupplyDevice"/>
/// or <see cref="TemperatureDevice"/>), raised once per episode and restored by
/// <c>fault.hardware-restored</c>. A weak supply is the commonest cause of a Pi that resets at random or
/// corrupts its SD card, and relays on its 5 V rail may drop out with it; a processor that hot slows
/// itself down and then shuts down. Either leaves the site without its controller, and before this the
/// office learned of it only when the gateway went dark.
/// </summary>
/// <remarks>
/// Off the event path: a timer of its own reads two small files every <see cref="Interval"/> and reports
/// into the controller's loop as <see cref="CertificateExpiryChecks"/> does. The firmware's flag says
/// the supply dipped since the driver's last poll (about every 2 s; the driver clears it as it reads), so
/// the fault is restored only after <see cref="SupplySettle"/> without a dip, and the temperature only
/// below <see cref="CooledMillidegrees"/>: a supply or an enclosure at the edge must not flap. A board
/// without either file (another board, a VM) says so once in the log; the files are looked for again at
/// every check while one is missing or unreadable, so a driver that loads late or a renumbered hwmonN is
/// found. Real hardware only: under <c>--simulate</c> the host is a laptop or a CI machine, not the gateway.
/// </remarks>
/// <param name="sysRoot">Where sysfs is mounted (<c>/sys</c>; a test's folder).</param>
/// <param name="report">Where the events go (the controller's loop: journal, office).</param>
/// <param name="time">The timer's clock.</param>
/// <param name="logger">Says when there is nothing to check (the controller logs the events it reports).</param>
internal sealed partial class GatewayHealthChecks(string sysRoot, Action<IReadOnlyList<DomainEvent>> report, TimeProvider time, ILogger<GatewayHealthChecks> logger)
    : IHostedService, IDisposable
{
    /// <summary>The device a supply fault names: the hwmon sensor the Raspberry Pi firmware's flag is read from.</summary>
    public const string SupplyDevice = "rpi_volt";

    /// <summary>The device a temperature fault names.</summary>
    public const string TemperatureDevice = "thermal_zone0";

    /// <summary>At or over this (80 °C) the processor is too hot: a Raspberry Pi 4 starts to throttle here.</summary>
    public const int HotMillidegrees = 80_000;

    /// <summary>Below this (70 °C) a hot processor is cool again.</summary>
    public const int CooledMillidegrees = 70_000;

    /// <summary>
    /// How often the files are read: a sysfs read costs nothing. Twice per poll of the firmware's driver
    /// (about 2 s, clearing the flag as it reads), so a dip it flagged for one poll is not missed.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How long the supply must hold before its fault is restored.</summary>
    public static readonly TimeSpan SupplySettle = TimeSpan.FromMinutes(1);

    // The timer's check and a test's never overlap: one episode state, reported once.
    private readonly Lock _gate = new();
    private string? _supplyFile;
    private string? _temperatureFile;
    private bool _supplyLow;
    private long _lastDip;
    private bool _hot;
    private ITimer? _timer;
    private bool _stopped;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Find();
            if (_supplyFile is null && _temperatureFile is null)
            {
                LogNothingToCheck(sysRoot);
            }

            // Armed even with nothing found: a driver module that probes after the start (raspberrypi_hwmon)
            // is found at a later check.
            _timer = time.CreateTimer(_ => Check(), null, Interval, Interval);
        }

        Check();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true; // a tick already queued reports nothing after the stop
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>Reads both files and reports what changed since the last check.</summary>
    public void Check()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            if (_supplyFile is null || _temperatureFile is null)
            {
                Find(); // a sensor gone (a driver reloaded, its hwmonN renumbered) or not there yet
            }

            var events = new List<DomainEvent>(2);
            CheckSupply(events);
            CheckTemperature(events);
            if (events.Count > 0)
            {
                report(events);
            }
        }
    }

    private void CheckSupply(List<DomainEvent> events)
    {
        if (_supplyFile is null || ReadInteger(_supplyFile) is not { } flag)
        {
            _supplyFile = null; // looked up again at the next check
            return;
        }

        var now = time.GetTimestamp();
        if (flag != 0)
        {
            _lastDip = now;
            if (!_supplyLow)
            {
                _supplyLow = true;
                var reason = "the gateway's own supply is under-voltage (the board's firmware flag; below about 4.63 V on a Raspberry Pi): "
                    + "the board may reset at random, its SD card may be corrupted, and relays on its 5 V rail may drop out; "
                    + "fit a supply that holds 5.1 V under load, with a short, thick cable";
                events.Add(new HardwareFault(time.GetUtcNow(), SupplyDevice, reason));
            }
        }
        else if (_supplyLow && time.GetElapsedTime(_lastDip, now) >= SupplySettle)
        {
            _supplyLow = false;
            events.Add(new HardwareFaultRestored(time.GetUtcNow(), SupplyDevice));
        }
    }

    private void CheckTemperature(List<DomainEvent> events)
    {
        if (_temperatureFile is null || ReadInteger(_temperatureFile) is not { } millidegrees)
        {
            _temperatureFile = null; // looked up again at the next check
            return;
        }

        if (!_hot && millidegrees >= HotMillidegrees)
        {
            _hot = true;
            var reason = string.Create(CultureInfo.InvariantCulture, $"the gateway's processor is at {millidegrees / 1000.0:0.#} °C, at or over {HotMillidegrees / 1000} °C: ")
                + "it slows itself down, which delays every input and event, and shuts down near 85-90 °C; check the enclosure's ventilation and what heats it";
            events.Add(new HardwareFault(time.GetUtcNow(), TemperatureDevice, reason));
        }
        else if (_hot && millidegrees < CooledMillidegrees)
        {
            _hot = false;
            events.Add(new HardwareFaultRestored(time.GetUtcNow(), TemperatureDevice));
        }
    }

    // The caller holds _gate. Never throws: the board's health must never stop the gateway nor the walk test.
    private void Find()
    {
        _supplyFile ??= SupplyFlagFile(sysRoot);
        var temperature = Path.Combine(sysRoot, "class", "thermal", TemperatureDevice, "temp");
        _temperatureFile ??= File.Exists(temperature) ? temperature : null;
    }

    /// <summary>The <c>in0_lcrit_alarm</c> of the hwmon sensor named <c>rpi_volt</c>, or null when there is none or sysfs does not answer.</summary>
    private static string? SupplyFlagFile(string sysRoot)
    {
        try
        {
            var hwmon = Path.Combine(sysRoot, "class", "hwmon");
            if (!Directory.Exists(hwmon))
            {
                return null;
            }

            // hwmonN numbers follow the drivers' probe order, which changes between kernels: found by name.
            foreach (var sensor in Directory.EnumerateDirectories(hwmon).Order(StringComparer.Ordinal))
            {
                var name = Path.Combine(sensor, "name");
                var flag = Path.Combine(sensor, "in0_lcrit_alarm");
                if (File.Exists(name) && File.Exists(flag) && File.ReadAllText(name).Trim() == SupplyDevice)
                {
                    return flag;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A sensor removed while listed, a read error: looked up again at the next check.
        }

        return null;
    }

    // A file that cannot be read now (a driver reloading) changes nothing: the next check reads it again.
    private static int? ReadInteger(string file)
    {
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 164, Level = LogLevel.Information, Message = "No supply flag (hwmon rpi_volt) nor processor temperature (thermal_zone0) under {SysRoot}: the board's own health is not checked")]
    private partial void LogNothingToCheck(string sysRoot);
}
