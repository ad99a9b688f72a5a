using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Tests.Controller;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// sd_notify over a real Unix datagram socket, fed by the real controller loop on a fake clock: READY
/// after boot, a WATCHDOG ping per half <c>WATCHDOG_USEC</c> while the loop turns (a stalled journal
/// writer only shows in the status line), none while it is hung.
/// The environment is passed in, never set on the process, so these tests run in parallel.
/// </summary>
public sealed class SystemdWatchdogTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Half = TimeSpan.FromSeconds(5);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a")],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly BlockingSink _blocking = new();
    private readonly ControllerHarness _h;
    private readonly NotifySocket _systemd = NotifySocket.InTempDirectory();
    private SystemdNotifier? _notifier;
    private SystemdWatchdog? _watchdog;

    public SystemdWatchdogTests() => _h = new ControllerHarness(Site, _ => new MemoryStore(), _blocking);

    [Fact]
    public async Task Ready_comes_after_boot_then_a_watchdog_ping_each_half_period_while_the_loop_turns()
    {
        await _h.BootAsync();
        var watchdog = await StartWatchdogAsync(new() { ["NOTIFY_SOCKET"] = _systemd.Variable, ["WATCHDOG_USEC"] = "10000000" });

        Assert.Equal("READY=1\nSTATUS=mode normal", await _systemd.ReceiveAsync(Wait));
        for (var period = 2; period <= 4; period++)
        {
            await Eventually.TrueAsync(() => watchdog.PeriodsStarted == period - 1, Wait, $"watchdog period {period - 1} started");
            _h.Time.Advance(Half);
            Assert.Equal("WATCHDOG=1", await _systemd.ReceiveAsync(Wait));
        }

        // The count follows the send: the datagram can arrive before the watchdog thread counts it.
        await Eventually.TrueAsync(() => watchdog.Pings == 3, Wait, "three pings counted");
        Assert.Equal(0, watchdog.PingsWithheld);
        Assert.Equal(0, _systemd.Available);
    }

    [Fact]
    public async Task A_hung_loop_gets_no_pings_and_pings_resume_when_it_turns_again()
    {
        await _h.BootAsync();
        var watchdog = await StartWatchdogAsync(new() { ["NOTIFY_SOCKET"] = _systemd.Variable, ["WATCHDOG_USEC"] = "10000000" });
        Assert.StartsWith("READY=1", await _systemd.ReceiveAsync(Wait));

        // The panic button's events reach a sink that never returns: the loop is stuck inside it.
        _h.Set("panic", true);
        await _blocking.Entered.WaitAsync(Wait);
        for (var period = 1; period <= 3; period++)
        {
            await Eventually.TrueAsync(() => watchdog.PeriodsStarted == period, Wait, $"watchdog period {period} started");
            _h.Time.Advance(Half);
        }

        await Eventually.TrueAsync(() => watchdog.PingsWithheld == 2, Wait, "two periods without an answer from the loop");
        Assert.Equal(0, _systemd.Available);
        Assert.Equal(0, watchdog.Pings);

        _blocking.Release();
        Assert.Equal("WATCHDOG=1\nSTATUS=mode lockdown", await _systemd.ReceiveAsync(Wait));
    }

    [Fact]
    public async Task A_heartbeat_that_can_never_be_answered_is_asked_again_next_period_not_spun_on()
    {
        await _h.BootAsync();
        var answer = true;
        var watchdog = await StartWatchdogAsync(
            new() { ["NOTIFY_SOCKET"] = _systemd.Variable, ["WATCHDOG_USEC"] = "10000000" },
            () => Volatile.Read(ref answer) ? _h.Controller.HeartbeatAsync() : Task.FromCanceled(new CancellationToken(canceled: true)));
        Assert.StartsWith("READY=1", await _systemd.ReceiveAsync(Wait));

        // A loop that no longer takes messages: each heartbeat is cancelled at once (SiteController.HeartbeatAsync
        // does that when its channel refuses the message).
        Volatile.Write(ref answer, false);
        await Eventually.TrueAsync(() => watchdog.PeriodsStarted == 1, Wait, "the READY period");
        _h.Time.Advance(Half);
        await Eventually.TrueAsync(() => watchdog.PingsWithheld == 1, Wait, "the cancelled heartbeat withheld the ping");

        // The defect: the cancelled heartbeat was kept, so WhenAny returned at once forever (a busy loop and a
        // log flood). Now the period is waited out on the (fake, unmoved) clock.
        await Task.Delay(300);
        Assert.Equal(2, watchdog.PeriodsStarted);
        Assert.Equal(1, watchdog.PingsWithheld);

        _h.Time.Advance(Half);
        await Eventually.TrueAsync(() => watchdog.PingsWithheld == 2, Wait, "the next period asks again");
        Assert.Equal(3, watchdog.PeriodsStarted);
        Assert.Equal(0, _systemd.Available);
    }

    [Fact]
    public async Task A_journal_writer_stalled_for_a_minute_is_shown_in_the_status_line_and_the_turning_loop_keeps_its_pings()
    {
        await _h.BootAsync();
        long handled = 4; // of 10 handed over: 6 events wait, and keep waiting
        var watchdog = await StartWatchdogAsync(
            new() { ["NOTIFY_SOCKET"] = _systemd.Variable, ["WATCHDOG_USEC"] = "10000000" }, journal: () => new JournalProgress(10, Interlocked.Read(ref handled)));
        Assert.StartsWith("READY=1", await _systemd.ReceiveAsync(Wait));

        // Under a minute without progress: nothing to say (an fsync on a loaded SD card can take
        // seconds). The count starts at READY. Each step waits for the ping, so the clock never
        // overtakes a heartbeat the loop has not answered yet.
        var periods = (int)(JournalStallDetector.Limit / Half);
        for (var period = 1; period < periods; period++)
        {
            await Eventually.TrueAsync(() => watchdog.PeriodsStarted == period, Wait, $"watchdog period {period} started");
            _h.Time.Advance(Half);
            Assert.Equal("WATCHDOG=1", await _systemd.ReceiveAsync(Wait));
        }

        // A minute: the stall leads the status line, and the ping still goes. Before, it was
        // withheld, and systemd killed a gateway still protecting the site (the restart met the
        // same hung card).
        await Eventually.TrueAsync(() => watchdog.PeriodsStarted == periods, Wait, $"watchdog period {periods} started");
        _h.Time.Advance(Half);
        Assert.Equal(
            "WATCHDOG=1\nSTATUS=JOURNAL WRITER STALLED 1 min, 6 events waiting (not recorded or sent; the site is still protected); mode normal",
            await _systemd.ReceiveAsync(Wait));
        await Eventually.TrueAsync(() => watchdog.Pings == periods, Wait, "every period pinged");
        Assert.Equal(0, watchdog.PingsWithheld);

        // The writer moves again: the status line drops the stall.
        Interlocked.Exchange(ref handled, 10);
        await Eventually.TrueAsync(() => watchdog.PeriodsStarted == periods + 1, Wait, "the next period started");
        _h.Time.Advance(Half);
        Assert.Equal("WATCHDOG=1\nSTATUS=mode normal", await _systemd.ReceiveAsync(Wait));
        Assert.Equal(0, watchdog.PingsWithheld);
    }

    [Fact]
    public void An_idle_journal_is_never_stuck_and_any_progress_restarts_the_count()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var detector = new JournalStallDetector(time);

        Assert.Equal(TimeSpan.Zero, detector.Observe(new JournalProgress(5, 5)));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.Zero, detector.Observe(new JournalProgress(5, 5))); // nothing waits: idle, not stuck

        Assert.Equal(TimeSpan.Zero, detector.Observe(new JournalProgress(9, 5)));
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(TimeSpan.FromSeconds(40), detector.Observe(new JournalProgress(12, 5)));
        Assert.Equal(TimeSpan.Zero, detector.Observe(new JournalProgress(12, 6))); // one event handled: moving
        time.Advance(JournalStallDetector.Limit);
        Assert.True(JournalStallDetector.IsStuck(detector.Observe(new JournalProgress(12, 6))));
    }

    [Fact]
    public void A_socket_path_too_long_for_the_kernel_disables_the_notifier_instead_of_failing_the_start()
    {
        var path = "/run/" + new string('s', 120) + "/notify"; // sockaddr_un holds 107 bytes

        using var notifier = SystemdNotifier.FromEnvironment(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = path }.GetValueOrDefault);

        Assert.False(notifier.IsEnabled);
        Assert.NotNull(notifier.DisabledReason);
        Assert.False(notifier.Notify("READY=1"));
    }

    [Fact]
    public async Task A_full_socket_drops_notifications_instead_of_blocking_the_sender()
    {
        using var notifier = SystemdNotifier.FromEnvironment(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = _systemd.Variable }.GetValueOrDefault);

        // Nobody reads: the receive queue fills. A blocking send would hang here (and in StopAsync) for good.
        var sending = Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                if (!notifier.Notify("STATUS=" + new string('x', 1000)))
                {
                    return i;
                }
            }

            return -1;
        });

        Assert.True(await sending.WaitAsync(Wait) > 0);
    }

    [Fact]
    public async Task A_ready_that_systemd_could_not_take_is_sent_again_the_next_period()
    {
        // Before, a READY=1 dropped by a full queue counted as sent: the unit stayed activating
        // until TimeoutStartSec killed the gateway, start after start, then the start limit's reboot.
        await _h.BootAsync();
        using (var other = SystemdNotifier.FromEnvironment(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = _systemd.Variable }.GetValueOrDefault))
        {
            while (other.Notify("STATUS=" + new string('x', 1000)))
            {
            }
        }

        var watchdog = await StartWatchdogAsync(new() { ["NOTIFY_SOCKET"] = _systemd.Variable, ["WATCHDOG_USEC"] = "10000000" });
        await Eventually.TrueAsync(() => watchdog.NotifyFailures == 1, Wait, "READY=1 refused by the full queue");
        while (_systemd.Available > 0)
        {
            Assert.StartsWith("STATUS=xxx", await _systemd.ReceiveAsync(Wait));
        }

        _h.Time.Advance(Half);

        Assert.Equal("READY=1\nSTATUS=mode normal", await _systemd.ReceiveAsync(Wait));
        Assert.Equal(0, watchdog.Pings);
    }

    [Fact]
    public async Task Stopping_is_sent_on_shutdown()
    {
        await _h.BootAsync();
        var watchdog = await StartWatchdogAsync(new() { ["NOTIFY_SOCKET"] = _systemd.Variable });
        Assert.StartsWith("READY=1", await _systemd.ReceiveAsync(Wait));

        await watchdog.StopAsync(CancellationToken.None);

        Assert.Equal("STOPPING=1\nSTATUS=stopping", await _systemd.ReceiveAsync(Wait));
    }

    [Fact]
    public async Task An_abstract_namespace_socket_written_with_an_at_sign_is_reached()
    {
        using var systemd = NotifySocket.Abstract();
        using var notifier = SystemdNotifier.FromEnvironment(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = systemd.Variable }.GetValueOrDefault);

        Assert.True(notifier.Notify("READY=1"));
        Assert.Equal("READY=1", await systemd.ReceiveAsync(Wait));
    }

    [Fact]
    public void Without_notify_socket_nothing_is_sent()
    {
        using var notifier = SystemdNotifier.FromEnvironment(_ => null);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Notify("READY=1"));
    }

    [Theory]
    [InlineData("10000000", null, 5000)]
    [InlineData("10000000", "OWN", 5000)]
    [InlineData("10000000", "1", null)]
    [InlineData(null, null, null)]
    [InlineData("0", null, null)]
    [InlineData("ten", null, null)]
    public void The_ping_interval_is_half_of_watchdog_usec_for_this_process_only(string? usec, string? pid, int? expectedMs)
    {
        var own = Environment.ProcessId;
        var env = new Dictionary<string, string?> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid == "OWN" ? own.ToString(System.Globalization.CultureInfo.InvariantCulture) : pid };

        Assert.Equal(expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, SystemdNotifier.WatchdogInterval(env.GetValueOrDefault, own));
    }

    private async Task<SystemdWatchdog> StartWatchdogAsync(Dictionary<string, string?> env, Func<Task>? heartbeat = null, Func<JournalProgress>? journal = null)
    {
        _notifier = SystemdNotifier.FromEnvironment(env.GetValueOrDefault);
        _watchdog = new SystemdWatchdog(
            _notifier, SystemdNotifier.WatchdogInterval(env.GetValueOrDefault, Environment.ProcessId), _h.Controller,
            () => $"mode {_h.Controller.Current!.Mode.ToString().ToLowerInvariant()}", _h.Time, NullLogger<SystemdWatchdog>.Instance, journal)
        {
            Heartbeat = heartbeat ?? _h.Controller.HeartbeatAsync,
        };
        await _watchdog.StartAsync(CancellationToken.None);
        return _watchdog;
    }

    public async ValueTask DisposeAsync()
    {
        _blocking.Release();
        if (_watchdog is not null)
        {
            await _watchdog.StopAsync(CancellationToken.None);
            _watchdog.Dispose();
        }

        _notifier?.Dispose();
        await _h.DisposeAsync();
        _systemd.Dispose();
    }

    /// <summary>A sink that blocks the loop on its first events after boot, until released.</summary>
    private sealed class BlockingSink : IEventSink
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _booted;

        public Task Entered => _entered.Task;

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            if (!_booted)
            {
                _booted = true; // the boot report (gateway.started) passes
                return;
            }

            _entered.TrySetResult();
            _release.Wait();
        }

        public void Release() => _release.Set();
    }

    private sealed class MemoryStore : ISafetyStateStore
    {
        private SafetyState _state = SafetyState.Initial;

        public SafetyState Load() => _state;

        public void Save(SafetyState state) => _state = state;
    }
}
