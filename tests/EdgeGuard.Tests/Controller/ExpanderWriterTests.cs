using EdgeGuard.Core.Commands;
using System.Collections.Immutable;
using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Testing;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An MCP23017 write on a hung I²C bus blocks for the kernel adapter's timeout (1 s per transaction) and
/// more. The controller's loop must never wait for one: a fire edge or a panic press that arrives while
/// an expander write of an earlier decision hangs is decided, its native writes made and its events
/// reported at once. Each chip's writes are applied by its writer, which the controller learns from.
/// These run the production composition (ExpanderBank's writers) on the simulated chip and native lines.
/// </summary>
public sealed partial class ExpanderWriterTests : IAsyncDisposable
{
    private const int PanicLine = 1, FireLine = 2, DoorLine = 4, LobbyExitLine = 10, LampLine = 12, InterruptLine = 20;
    private const int AnnexExitPin = 9; // B1
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly SiteDefinition Site = new(
        "site-w", "gw-w",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, PanicLine, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, FireLine, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("door", PointKind.DoorContact, DoorLine, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            // On the chip too, as on the annex board: the inputs then include the expander bank.
            new("door-annex", PointKind.DoorContact, -1, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a")
            {
                LineAddress = "mcp23017@0x20:A0",
            },
        ],
        [
            new("lock-annex-exit", OutputKind.Lock, -1, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)
            {
                LineAddress = "mcp23017@0x20:B1",
            },
            new("lock-lobby-exit", OutputKind.Lock, LobbyExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("lamp", OutputKind.Indicator, LampLine, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly HoldingMcp23017 _chip = new();
    private readonly HoldingSink _sink = new();
    private readonly ControllerHarness _h;
    private ExpanderBank? _bank;
    private bool _stopped;
    private volatile bool _lampWriteThrows;

    public ExpanderWriterTests() =>
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), _sink, openOutputs: Open, openInputs: OpenInputs);

    [Fact]
    public async Task A_fire_is_decided_and_reported_while_the_lockdowns_expander_write_hangs_and_the_expander_ends_at_the_latest_plan()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        Assert.False(_chip.PinLevel(AnnexExitPin), "the annex exit was locked at boot");
        var configured = _chip.OlatWrites; // the boot configuration writes OLAT too

        // The bus hangs: the lockdown's OLAT write is held (a real one for the adapter's timeout or more).
        _chip.HoldWrites = true;
        _h.Set("panic", true);
        Assert.True(await _chip.Held.WaitAsync(Bound), "no expander write was attempted for the lockdown");
        await _h.SettleAsync();
        // Queued is not achieved: the plan locks the annex exit, the snapshot shows what the chip holds.
        var held = _h.Controller.Snapshot!;
        Assert.True(held.Plan.Levels(Site)["lock-annex-exit"], "the lockdown's plan does not lock the annex exit");
        Assert.False(held.OutputLevels["lock-annex-exit"], "the snapshot shows the held lock write as done");

        // The fire arrives while that write hangs: decided, driven and reported without waiting for it.
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is LockdownStarted);
        Assert.Contains(_h.Events.Events, e => e is FireAlarmRaised);
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine), "the native egress door was not released for the fire");
        Assert.True(_h.Driver.GetOutputLevel(LampLine), "the lamp was not lit");
        // The snapshot shows what the chip took, not what was asked of it: the held write has not landed.
        Assert.False(_h.Controller.Snapshot!.OutputLevels["lock-annex-exit"], "the snapshot shows the held write as done");

        // The bus answers: the held write lands, then the latest plan (the fire's release) follows it.
        _chip.HoldWrites = false;
        _chip.Unhold.Release();
        await Eventually.TrueAsync(() => _chip.OlatWrites == configured + 2, Bound, "the held write and the fire's release reached the chip");
        Assert.False(_chip.PinLevel(AnnexExitPin), "the expander egress lock did not end at the fire's plan (unlocked)");
        await Eventually.TrueAsync(
            () => _h.Controller.Snapshot is { } s && !s.OutputLevels["lock-annex-exit"] && s.State.FireEgressReleased,
            Bound, "the controller saw the annex exit unlocked");
        await _h.SettleAsync();
        Assert.Equal(configured + 2, _chip.OlatWrites);
        Assert.DoesNotContain(_h.Events.Events, e => e is OutputFault);
    }

    [Fact]
    public async Task An_office_lockdown_whose_expander_lock_write_is_still_queued_is_answered_done_saying_so()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _chip.HoldWrites = true;

        var locked = await _h.ExecuteAsync(new VerifiedCommand(
            new CommandEnvelope(
                "cmd-1", CommandType.Lockdown, "site-w", "gw-w", "sup-1", _h.Time.GetUtcNow(), _h.Time.GetUtcNow().AddMinutes(1),
                JsonObjectItem.Empty, ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])),
            OperatorRole.Supervisor));

        Assert.True(locked.Done, locked.Detail);
        Assert.EndsWith("; 'lock-annex-exit' not yet confirmed (a write still queued to its I/O board)", locked.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("lock-lobby-exit", locked.Detail, StringComparison.Ordinal); // native: written, and it shows
        _chip.HoldWrites = false;
        _chip.Unhold.Release();
    }

    [Fact]
    public async Task A_failing_expander_write_is_one_fault_output_retried_on_the_loops_timer_and_one_restore()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        // Every OLAT write is refused (a NACK): the lockdown's lock cannot be driven.
        _chip.NackWrites = true;
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFault), Bound, "fault.output for the annex exit");
        Assert.Equal("lock-annex-exit", Assert.Single(_h.Events.Events.OfType<OutputFault>()).OutputId);
        Assert.False(_h.Controller.Snapshot!.OutputLevels["lock-annex-exit"], "the snapshot shows a level the lock never took");

        // The loop's retry timer drives it again (and again): still refused, still one fault.
        var refused = _chip.NackedWrites;
        for (var i = 0; i < 2; i++)
        {
            var before = _chip.NackedWrites;
            _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
            await Eventually.TrueAsync(() => _chip.NackedWrites > before, Bound, "a retry of the refused write");
            await _h.SettleAsync();
        }

        Assert.True(_chip.NackedWrites >= refused + 2);
        Assert.Single(_h.Events.Events.OfType<OutputFault>());

        // The chip answers again: the next retry takes, and the fault is restored once.
        _chip.NackWrites = false;
        _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFaultRestored), Bound, "fault.output-restored");
        await _h.SettleAsync();
        Assert.True(_chip.PinLevel(AnnexExitPin), "the annex exit was not locked once its chip answered");
        Assert.True(_h.Controller.Snapshot!.OutputLevels["lock-annex-exit"]);
        Assert.Single(_h.Events.Events.OfType<OutputFault>());
        Assert.Equal("lock-annex-exit", Assert.Single(_h.Events.Events.OfType<OutputFaultRestored>()).OutputId);

        // The lines show the plan now: a later retry tick finds nothing to drive.
        var writes = _chip.OlatWrites;
        _h.Time.Advance(SiteController.OutputRetryInterval * 4);
        await _h.SettleAsync();
        Assert.Equal(writes, _chip.OlatWrites);
    }

    [Fact]
    public async Task A_chattering_input_does_not_drive_a_failing_expander_faster_than_the_retry_pace()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _chip.NackWrites = true;
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFault), Bound, "fault.output for the annex exit");
        await _h.SettleAsync();
        var attempts = _chip.NackedWrites;

        // The loop is busy (reporting a supervision event) while a door chatters, the clock standing
        // still: every edge waits in the channel, and each is a decision on the loop with the same plan.
        _sink.HoldNext = true;
        _h.Controller.ReportFromOutside([new HardwareFault(_h.Time.GetUtcNow(), "probe", "keeps the loop busy")]);
        Assert.True(await _sink.Entered.WaitAsync(Bound), "the loop never reported the probe");
        for (var i = 0; i < 40; i++)
        {
            _h.Set("door", i % 2 == 0);
        }

        _sink.Release.Release();
        await _h.SettleAsync();
        await _h.SettleAsync();
        Assert.Equal(attempts, _chip.NackedWrites); // none before the retry is due

        // The retry's time comes: the chip is tried again, and it is still one fault.
        _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => _chip.NackedWrites > attempts, Bound, "the retry on the loop's timer");
        Assert.Single(_h.Events.Events.OfType<OutputFault>());
    }

    [Fact]
    public async Task A_native_write_that_threw_stays_failed_when_a_writers_attempt_has_the_lines_looked_at_again()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        // The lamp's GPIO write sets the line, then throws (EIO after the fact): it reads back the plan.
        _lampWriteThrows = true;
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _chip.PinLevel(AnnexExitPin), Bound, "the expander lock for the lockdown");
        await _h.SettleAsync(); // the writer's attempt had the loop look at every line again
        Assert.True(_h.Driver.GetOutputLevel(LampLine), "the lamp's line was not set before its write threw");
        Assert.Single(_h.Events.Events, e => e is OutputFault { OutputId: "lamp" });
        Assert.DoesNotContain(_h.Events.Events, e => e is OutputFaultRestored);

        // Its write succeeds at the retry: restored once.
        _lampWriteThrows = false;
        _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFaultRestored), Bound, "fault.output-restored for the lamp");
        await _h.SettleAsync();
        Assert.Equal("lamp", Assert.Single(_h.Events.Events.OfType<OutputFaultRestored>()).OutputId);
    }

    [Fact]
    public async Task A_fires_release_decided_just_before_the_stop_reaches_the_expander_whose_points_are_inputs_too()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        var configured = _chip.OlatWrites;

        // The lockdown's lock write hangs on the bus; the fire's release is decided behind it.
        _chip.HoldWrites = true;
        _h.Set("panic", true);
        Assert.True(await _chip.Held.WaitAsync(Bound), "no expander write was attempted for the lockdown");
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.True(_h.Controller.Snapshot!.State.FireEgressReleased, "the fire's release was not decided");

        // SIGTERM: the host stops and disposes the controller while the bus still hangs, then the bus answers.
        var stopping = Task.Run(StopAsync);
        _chip.HoldWrites = false;
        _chip.Unhold.Release();
        await stopping.WaitAsync(Bound);

        // Both writes reached the chip, the release last: the annex exit is unlocked after the stop.
        Assert.Equal(configured + 2, _chip.OlatWrites);
        Assert.False(_chip.PinLevel(AnnexExitPin), "the fire's release decided before the stop was never written");
    }

    public async ValueTask DisposeAsync()
    {
        _chip.HoldWrites = false;
        _chip.Unhold.Release();
        _sink.Release.Release();
        await StopAsync();
        _chip.Dispose();
        _sink.Dispose();
    }

    /// <summary>What the host does at a stop: the controller stopped, then disposed (once).</summary>
    private async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _h.DisposeAsync();
        }
    }

    /// <summary>The bank, made with the inputs (the controller reads them after opening the outputs).</summary>
    private ExpanderBank Bank(GpioController gpio, TimeProvider time) => _bank ??= new ExpanderBank(
        gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, InterruptLine)], Site.Points, Site.Outputs,
        new Buses(_chip), time, events => _h.Controller.ReportFromOutside(events));

    /// <summary>The gateway's composition of an I/O board's inputs: native lines and the bank's points.</summary>
    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        var bank = Bank(gpio, time);
        return new RoutedInputLines([(new Hardware.GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (bank, bank.PointIds)]);
    }

    /// <summary>The production composition: native lines and the expander bank's behind one router.</summary>
    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        var native = Site.Outputs.Where(o => o.LineAddress is null).ToList();
        var gpioLines = new ThrowingAfterWrite(
            new Hardware.GpioOutputLines(gpio, native, native.ToDictionary(o => o.Id, o => initial[o.Id], StringComparer.Ordinal)),
            id => id == "lamp" && _lampWriteThrows);
        var bank = Bank(gpio, _h.Time);
        // A drain timeout beyond the tests' waits: a stop's drain must not depend on the machine's speed.
        return new RoutedOutputLines([(gpioLines, native.Select(o => o.Id)), (bank.OpenOutputWriters(initial, Bound * 4), bank.OutputIds)]);
    }

    /// <summary>
    /// The simulated MCP23017, whose OLAT writes are held while <see cref="HoldWrites"/> is set (as on an I²C
    /// bus a slave holds low: <see cref="Held"/> is released when one is, <see cref="Unhold"/> lets it
    /// through) and refused while <see cref="NackWrites"/> is set. Counts the OLAT writes that landed.
    /// </summary>
    private sealed class HoldingMcp23017() : SimulatedMcp23017(1, 0x20)
    {
        private const byte IodirA = 0x00, IodirB = 0x01, OlatA = 0x14, OlatB = 0x15;
        private int _olatWrites;
        private int _nackedWrites;

        public volatile bool HoldWrites;

        public volatile bool NackWrites;

        /// <summary>Refuses the IODIR writes: a reset chip then cannot be configured again.</summary>
        public volatile bool NackIodirWrites;

        public SemaphoreSlim Held { get; } = new(0);

        public SemaphoreSlim Unhold { get; } = new(0);

        public int OlatWrites => Volatile.Read(ref _olatWrites);

        public int NackedWrites => Volatile.Read(ref _nackedWrites);

        protected override void BeginTransaction(ReadOnlySpan<byte> written)
        {
            if (NackIodirWrites && written.Length > 1 && written[0] is (IodirA or IodirB))
            {
                throw new IOException("NACK");
            }

            if (written.Length < 2 || written[0] is not (OlatA or OlatB))
            {
                return;
            }

            if (NackWrites)
            {
                Interlocked.Increment(ref _nackedWrites);
                throw new IOException("NACK");
            }

            if (HoldWrites)
            {
                Held.Release();
                // Bounded, so a failing test ends instead of hanging the run; longer than the test's own
                // waits, so a loop stuck behind the held write fails them rather than seeing it give up.
                if (!Unhold.Wait(Bound * 2))
                {
                    throw new IOException("held write was never let through");
                }
            }

            Interlocked.Increment(ref _olatWrites);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Held.Dispose();
                Unhold.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
