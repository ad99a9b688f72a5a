using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The gateway board's own health (<see cref="GatewayHealthChecks"/>) read from a sysfs laid out for the
/// test as a Raspberry Pi's kernel lays it out: the firmware's under-voltage flag (hwmon <c>rpi_volt</c>)
/// and the processor's temperature (<c>thermal_zone0</c>), on a fake clock.
/// </summary>
public sealed class GatewayHealthChecksTests : IDisposable
{
    private readonly TempDirectory _sys = new("edgeguard-sysfs-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private GatewayHealthChecks? _checks;

    public void Dispose()
    {
        _checks?.Dispose();
        _sys.Dispose();
    }

    [Fact]
    public async Task An_under_voltage_is_raised_once_and_restored_only_after_a_minute_without_a_dip()
    {
        Sensor("hwmon0", "cpu_thermal", "temp1_input", "45000"); // another sensor first: found by name, not number
        Supply(dip: false);
        await StartAsync();
        Assert.Empty(_reported);

        Supply(dip: true);
        Run(TimeSpan.FromSeconds(10));
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal((GatewayHealthChecks.SupplyDevice, Severity.Critical), (fault.Device, fault.Severity));
        Assert.Empty(fault.Points); // every input is still read
        Assert.Contains("under-voltage", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("5.1 V", fault.Reason, StringComparison.Ordinal);

        // The supply at the edge: dips now and then. One fault, not one per dip.
        Supply(dip: false);
        Run(TimeSpan.FromSeconds(40));
        Supply(dip: true);
        Run(TimeSpan.FromSeconds(2));
        Supply(dip: false);
        Run(GatewayHealthChecks.SupplySettle - TimeSpan.FromSeconds(4));
        Assert.Single(_reported);

        Run(TimeSpan.FromSeconds(6));
        var restored = Assert.IsType<HardwareFaultRestored>(_reported[1]);
        Assert.Equal(GatewayHealthChecks.SupplyDevice, restored.Device);
        Assert.Equal(2, _reported.Count);
    }

    [Fact]
    public async Task A_hot_processor_is_raised_at_80_degrees_with_its_temperature_and_restored_below_70()
    {
        Temperature(79_900);
        await StartAsync();
        Assert.Empty(_reported);

        Temperature(81_250);
        Run(GatewayHealthChecks.Interval);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal(GatewayHealthChecks.TemperatureDevice, fault.Device);
        Assert.Contains("81.3 °C, at or over 80 °C", fault.Reason, StringComparison.Ordinal);

        Temperature(72_000); // cooler, not cool: no flapping at the line
        Run(TimeSpan.FromMinutes(1));
        Assert.Single(_reported);

        Temperature(69_000);
        Run(GatewayHealthChecks.Interval);
        Assert.Equal(GatewayHealthChecks.TemperatureDevice, Assert.IsType<HardwareFaultRestored>(_reported[1]).Device);
    }

    [Fact]
    public async Task A_processor_hot_and_a_supply_low_at_start_are_reported_by_the_start()
    {
        Supply(dip: true);
        Temperature(85_000);

        await StartAsync();

        Assert.Equal([GatewayHealthChecks.SupplyDevice, GatewayHealthChecks.TemperatureDevice],
            _reported.Cast<HardwareFault>().Select(f => f.Device));
    }

    [Fact]
    public async Task A_board_with_neither_file_is_not_checked_and_an_unreadable_value_changes_nothing()
    {
        await StartAsync();
        Run(TimeSpan.FromMinutes(1));
        Assert.Empty(_reported);

        _checks!.Dispose();
        Temperature(90_000);
        await StartAsync();
        Temperature("garbage"); // a driver reloading: read again at the next check
        Run(TimeSpan.FromSeconds(10));
        Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Temperature(60_000);
        Run(GatewayHealthChecks.Interval);
        Assert.IsType<HardwareFaultRestored>(_reported[1]);
    }

    [Fact]
    public async Task A_supply_sensor_that_appears_after_the_start_or_is_renumbered_is_found_at_a_later_check()
    {
        await StartAsync(); // the driver module not probed yet
        Supply(dip: true);
        Run(GatewayHealthChecks.Interval);
        Assert.Equal(GatewayHealthChecks.SupplyDevice, Assert.IsType<HardwareFault>(Assert.Single(_reported)).Device);

        // Reloaded under another number while the fault is open: its restore still comes.
        Directory.Delete(Path.Combine(_sys.Path, "class", "hwmon", "hwmon1"), recursive: true);
        Run(TimeSpan.FromSeconds(5));
        Sensor("hwmon4", GatewayHealthChecks.SupplyDevice, "in0_lcrit_alarm", "0");
        Run(GatewayHealthChecks.SupplySettle + TimeSpan.FromSeconds(2));
        Assert.Equal(GatewayHealthChecks.SupplyDevice, Assert.IsType<HardwareFaultRestored>(_reported[1]).Device);
    }

    [Fact]
    public async Task A_tick_that_comes_after_the_stop_reports_nothing()
    {
        Temperature(60_000);
        await StartAsync();
        await _checks!.StopAsync(CancellationToken.None);
        Temperature(90_000);

        _checks.Check(); // as a timer callback already queued at the stop runs

        Assert.Empty(_reported);
    }

    private async Task StartAsync()
    {
        _checks = new GatewayHealthChecks(_sys.Path, events => _reported.AddRange(events), _time, NullLogger<GatewayHealthChecks>.Instance);
        await _checks.StartAsync(CancellationToken.None);
    }

    private void Run(TimeSpan span)
    {
        for (var left = span; left > TimeSpan.Zero; left -= GatewayHealthChecks.Interval)
        {
            _time.Advance(GatewayHealthChecks.Interval);
        }
    }

    private void Supply(bool dip) => Sensor("hwmon1", GatewayHealthChecks.SupplyDevice, "in0_lcrit_alarm", dip ? "1" : "0");

    private void Temperature(int millidegrees) => Temperature(millidegrees.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private void Temperature(string value)
    {
        var zone = Directory.CreateDirectory(Path.Combine(_sys.Path, "class", "thermal", GatewayHealthChecks.TemperatureDevice)).FullName;
        File.WriteAllText(Path.Combine(zone, "temp"), value + "\n");
    }

    private void Sensor(string hwmon, string name, string file, string value)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_sys.Path, "class", "hwmon", hwmon)).FullName;
        File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        File.WriteAllText(Path.Combine(dir, file), value + "\n");
    }
}
