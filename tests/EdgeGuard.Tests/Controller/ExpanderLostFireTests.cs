using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire input on an expander whose I²C harness is cut after boot (the fire itself can do that): the chip
/// stops answering, so its fire input must read active and the controller release egress, as it does for a
/// chip dead at boot. Runs the production bank (supervision on the harness's clock) on the simulated chip.
/// </summary>
public sealed class ExpanderLostFireTests : IAsyncDisposable
{
    private const int LobbyExitLine = 10, InterruptLine = 20;

    private static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            // A fire panel's relay contact to ground on the expander: released (high) at rest.
            new("fire-annex", PointKind.FireAlarm, -1, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a") { LineAddress = "mcp23017@0x20:A0" },
        ],
        [new("lock-lobby-exit", OutputKind.Lock, LobbyExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly SimulatedMcp23017 _chip = new(1, 0x20);
    private readonly ControllerHarness _h;
    private ExpanderBank? _bank;

    public ExpanderLostFireTests()
    {
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open, openInputs: OpenInputs);
        // INTA (open-drain) to the host's line, held up by its pull-up while released.
        _h.Driver.SetInputLevel(InterruptLine, true);
        _chip.InterruptLevelChanged += level => _h.Driver.SetInputLevel(InterruptLine, level);
    }

    [Fact]
    public async Task A_fire_input_on_an_expander_lost_after_boot_reads_active_and_egress_is_released()
    {
        await _h.BootAsync();
        _h.Time.Advance(ExpanderBank.SupervisionInterval); // a pass with the chip answering
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LobbyExitLine), "the lobby exit was not locked before the chip was lost");
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised);

        _chip.Powered = false; // the harness is cut
        _h.Time.Advance(ExpanderBank.SupervisionInterval);
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised); // one failed pass may be a glitch
        _h.Time.Advance(ExpanderBank.SupervisionInterval); // the second in a row: lost
        await _h.SettleAsync();

        Assert.Equal("fire-annex", Assert.Single(_h.Events.Events.OfType<FireAlarmRaised>()).PointId);
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine), "the egress door stayed locked with its fire input blind");
        Assert.Equal("mcp23017@0x20", Assert.Single(_h.Events.Events.OfType<HardwareFault>()).Device);

        // Power back: the real level (released) comes back; the fire stays latched until a person resets it.
        _chip.Powered = true;
        _h.Time.Advance(ExpanderBank.SupervisionInterval);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<HardwareFaultRestored>());
        Assert.True(_bank!.Read("fire-annex"), "the fire input's real level did not come back");
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine), "egress was locked again without a reset");
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        _chip.Dispose();
    }

    /// <summary>The bank, made with the inputs (the controller opens the outputs, which configure it, first).</summary>
    private ExpanderBank Bank(GpioController gpio, TimeProvider time) => _bank ??= new ExpanderBank(
        gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, InterruptLine)], Site.Points, Site.Outputs,
        new Buses(_chip), time, events => _h.Controller.ReportFromOutside(events));

    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        var bank = Bank(gpio, time);
        return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (bank, bank.PointIds)]);
    }

    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        var bank = Bank(gpio, _h.Time);
        // Every output is native: the bank's outputs are opened only to configure the chip (as at boot).
        _ = bank.OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
        return new GpioOutputLines(gpio, Site.Outputs, initial);
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
