using EdgeGuard.Controller;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A saved safety state the boot cannot read (a damaged row) or that the disk does not hand over
/// (a hung SD card) must not keep the gateway from protecting the site: it boots in the initial
/// state, within SiteController.BootLoadDeadline on its clock, drives its outputs to that plan,
/// decides its inputs as usual and journals fault.safety-state-unreadable. Every wait is bounded,
/// so a bug fails a test instead of hanging it.
/// </summary>
public sealed partial class UnreadableSafetyStateTests : IAsyncDisposable
{
    private const int LockLine = 10, ExitLine = 12;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly SiteDefinition Site = new(
        "site-u", "gw-u",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            // Unlocked until a lockdown locks it.
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe),
            // An egress door locked at all times but in a fire.
            new("exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), ["key"]),
        new LifeSafetyPolicy(["key"]));

    /// <summary>What the row held before the restart: a lockdown the boot cannot see.</summary>
    private static readonly SafetyState LockedDown = new(
        SiteMode.Lockdown, new LockdownInfo("panic button", "panic", new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero)), false);

    private readonly UnreadableStore _store = new();
    private readonly ControllerHarness _h;

    public UnreadableSafetyStateTests() => _h = new ControllerHarness(Site, _ => _store);

    [Fact]
    public async Task A_load_that_hangs_boots_normal_within_the_bound_and_a_fire_releases_egress_with_no_save_under_the_load()
    {
        _store.Hang = true;
        var start = _h.Time.GetTimestamp();

        // Before: StartAsync waited in Load for ever (until systemd's TimeoutStartSec), no output opened.
        await _h.BootAsync().WaitAsync(Patience);

        // The harness moves the clock while the start runs, so the upper bound has slack for a
        // loaded machine; what matters is that the boot did not wait for the disk.
        Assert.InRange(_h.Time.GetElapsedTime(start), SiteController.BootLoadDeadline, SiteController.BootLoadDeadline + TimeSpan.FromSeconds(5));
        Assert.True(_h.Controller.Booted.IsCompletedSuccessfully);
        Assert.True(_store.LoadRunning, "the test's load still hangs");
        Assert.Equal(SiteMode.Normal, _h.Controller.Snapshot!.State.Mode);
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "the initial plan: the lock unlocked");
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the initial plan: the egress door locked");
        var started = Assert.IsType<GatewayStarted>(_h.Events.Events[0]);
        Assert.Equal(SiteMode.Normal, started.RestoredMode);
        var fault = Assert.Single(_h.Events.Events, e => e.Type == "fault.safety-state-unreadable");
        Assert.Equal(Severity.Critical, fault.Severity);
        var reason = EventReason(fault);
        Assert.Contains("not read within 5 s", reason, StringComparison.Ordinal);
        Assert.Contains("may have been lost", reason, StringComparison.Ordinal);

        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "a fire releases egress while the load hangs");
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Snapshot!.State.LifeSafety);
        // One at a time: the fire's save waits behind the hung load, never beside it.
        Assert.Equal(0, _store.SavesDuringLoad);

        // The disk answers at last, with the lockdown: put back in force beside the fire release
        // (a fire is no decision about the lockdown: it beats it only at the egress doors), and
        // the state the gateway acts on, both of them, is saved now.
        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is { LifeSafety: LifeSafety.FireEgressReleased, Mode: SiteMode.Lockdown }, Patience, "the merged state saved once the load ended");
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Snapshot!.State.Mode);
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the late load's lockdown locks its door");
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "egress stays released for the fire");
        Assert.Equal(0, _store.SavesDuringLoad);

        // Before: what the late load read was only logged on the gateway, and the fire's save
        // overwrote it: the office knew only that a lockdown "may have been lost". Now it is told
        // which one, and that it is in force again.
        var faults = _h.Events.Events.Where(e => e.Type == "fault.safety-state-unreadable").ToList();
        Assert.Equal(2, faults.Count);
        Assert.Equal(Severity.Critical, faults[1].Severity);
        var late = EventReason(faults[1]);
        Assert.Contains("read late", late, StringComparison.Ordinal);
        Assert.Contains("mode lockdown", late, StringComparison.Ordinal);
        Assert.Contains("'panic button'", late, StringComparison.Ordinal);
        Assert.Contains("point panic", late, StringComparison.Ordinal);
        Assert.Contains("2026-11-23T07:00:00", late, StringComparison.Ordinal);
        Assert.Contains("re-applied", late, StringComparison.Ordinal);
        Assert.DoesNotContain("may have been lost", late, StringComparison.Ordinal);
        Assert.InRange(late.Length, 1, 1024);
    }

    [Fact]
    public async Task A_load_that_fails_once_for_a_passing_reason_is_tried_again_and_boots_in_the_lockdown()
    {
        // SQLITE_BUSY, wrapped as the journal wraps it: the row is fine, the database was busy.
        _store.Transient.Enqueue(new JournalException(
            "Journal database '/var/lib/edgeguard/journal.db': read failed: database is locked",
            new SqliteException("SQLite Error 5: 'database is locked'.", 5)));

        // Before: the one failure booted Normal at once, dropping the lockdown in force.
        await _h.BootAsync().WaitAsync(Patience);
        await _h.SettleAsync();

        Assert.Equal(2, _store.Loads);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Snapshot!.State.Mode);
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the restored lockdown locks the door");
        Assert.DoesNotContain(_h.Events.Events, e => e.Type == "fault.safety-state-unreadable");
    }

    [Fact]
    public async Task A_load_that_keeps_failing_for_a_passing_reason_boots_normal_at_the_bound_and_says_why()
    {
        _store.AlwaysTransient = true;
        var start = _h.Time.GetTimestamp();

        await _h.BootAsync().WaitAsync(Patience);

        Assert.InRange(_h.Time.GetElapsedTime(start), SiteController.BootLoadDeadline, SiteController.BootLoadDeadline + TimeSpan.FromSeconds(5));
        Assert.True(_store.Loads > 1, "tried again within the bound");
        Assert.Equal(SiteMode.Normal, _h.Controller.Snapshot!.State.Mode);
        var fault = Assert.Single(_h.Events.Events, e => e.Type == "fault.safety-state-unreadable");
        var reason = EventReason(fault);
        Assert.Contains("may have been lost", reason, StringComparison.Ordinal);
        Assert.Contains("database is locked", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_row_boots_normal_and_a_panic_held_through_the_restart_locks_down()
    {
        _store.Failure = new InvalidDataException("the stored safety state has unknown mode 'curfew'");
        _h.Set("panic", true);

        // Before: Load threw out of StartAsync, the host stopped, and the panic locked nothing.
        await _h.BootAsync().WaitAsync(Patience);
        await _h.SettleAsync();

        Assert.Equal(SiteMode.Lockdown, _h.Controller.Snapshot!.State.Mode);
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the held panic locked the door");
        var types = _h.Events.Events.Select(e => e.Type).ToList();
        Assert.Equal("gateway.started", types[0]);
        Assert.Equal("fault.safety-state-unreadable", types[1]);
        Assert.Contains("lockdown.started", types);
        Assert.Contains("unknown mode 'curfew'", EventReason(_h.Events.Events[1]), StringComparison.Ordinal);
        // A damaged row is final: read once, not again until the bound.
        Assert.Equal(1, _store.Loads);
        // The lockdown's save overwrote the damaged row.
        Assert.Equal(SiteMode.Lockdown, _store.LastSaved?.Mode);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Unhang();
        await _h.DisposeAsync();
    }

    // By name: the test compiles without the event type, so it could be seen to fail first.
    private static string EventReason(DomainEvent e) => (string)e.GetType().GetProperty("Reason")!.GetValue(e)!;

    /// <summary>A store whose load hangs until released, or throws; counts saves made while a load runs.</summary>
    private sealed class UnreadableStore : ISafetyStateStore
    {
        private readonly ManualResetEventSlim _gate = new();
        private readonly Lock _lock = new();
        private volatile bool _loading;
        private int _savesDuringLoad;
        private int _loads;
        private SafetyState? _lastSaved;
        private readonly List<string> _log = [];

        public bool Hang { get; set; }

        /// <summary>What the row holds: what a load returns once it ends.</summary>
        public SafetyState Holds { get; set; } = LockedDown;

        /// <summary>"load ended" and "saved MODE", in the order they happened.</summary>
        public IReadOnlyList<string> Log
        {
            get
            {
                lock (_lock)
                {
                    return [.. _log];
                }
            }
        }

        public Exception? Failure { get; set; }

        /// <summary>Thrown by the next loads, one each, before the row is read.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<Exception> Transient { get; } = new();

        /// <summary>Every load throws SQLITE_BUSY, as a journal held by another writer.</summary>
        public bool AlwaysTransient { get; set; }

        public int Loads => Volatile.Read(ref _loads);

        public bool LoadRunning => _loading;

        public int SavesDuringLoad => Volatile.Read(ref _savesDuringLoad);

        public SafetyState? LastSaved
        {
            get
            {
                lock (_lock)
                {
                    return _lastSaved;
                }
            }
        }

        public void Unhang() => _gate.Set();

        public SafetyState Load()
        {
            Interlocked.Increment(ref _loads);
            if (Transient.TryDequeue(out var passing))
            {
                throw passing;
            }

            if (AlwaysTransient)
            {
                throw new JournalException("read failed: database is locked", new SqliteException("SQLite Error 5: 'database is locked'.", 5));
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            _loading = true;
            try
            {
                if (Hang)
                {
                    _gate.Wait(TimeSpan.FromSeconds(60));
                }

                return Holds;
            }
            finally
            {
                lock (_lock)
                {
                    _log.Add("load ended");
                }

                _loading = false;
            }
        }

        public void Save(SafetyState state)
        {
            if (_loading)
            {
                Interlocked.Increment(ref _savesDuringLoad);
            }

            lock (_lock)
            {
                _log.Add($"saved {state.Mode}");
                _lastSaved = state;
            }
        }
    }
}
