using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The order the saver keeps between the boot's load, given up on, and the saves after it: no
/// save reaches the row while the load runs, and once one has (after the load ended, perhaps
/// before the controller took that end), the saver says so, so the controller never applies a
/// late read the row no longer holds.
/// </summary>
public sealed class SafetyStateSaverOrderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly SafetyState Panic = new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic", DateTimeOffset.UnixEpoch), true);

    [Fact]
    public async Task A_save_waits_for_the_hung_load_and_once_handed_after_it_the_saver_says_so()
    {
        var store = new HungLoadStore();
        using var ended = new SemaphoreSlim(0);
        using var saver = new SafetyStateSaver(store, TimeProvider.System, () => ended.Release());

        var load = await saver.LoadAsync(TimeSpan.FromMilliseconds(50), _ => false, CancellationToken.None).WaitAsync(Patience);
        Assert.True(load.TimedOut);

        // A decision's save while the load hangs: not handed, the row keeps what the load reads.
        var behind = saver.Save(Panic, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        Assert.NotNull(behind.RunningSince);
        Assert.False(saver.AnySaveHanded, "no save is handed while the load runs");

        store.Release.Set();
        Assert.True(await ended.WaitAsync(Patience), "the load's end was never handed on");
        Assert.False(saver.AnySaveHanded, "the load's end alone hands no save");

        // A save handed before the controller took the load's end: the row no longer holds it.
        Assert.Null(saver.Save(Panic, TimeSpan.Zero, Patience).Failure);
        Assert.True(saver.AnySaveHanded);
        Assert.NotNull(saver.TakeAbandonedLoad());
        Assert.Equal(["load ended", "saved"], store.Log);
    }

    private sealed class HungLoadStore : ISafetyStateStore
    {
        private readonly Lock _lock = new();
        private readonly List<string> _log = [];

        public ManualResetEventSlim Release { get; } = new();

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

        public SafetyState Load()
        {
            Release.Wait(Patience);
            lock (_lock)
            {
                _log.Add("load ended");
            }

            return Panic;
        }

        public void Save(SafetyState state)
        {
            lock (_lock)
            {
                _log.Add("saved");
            }
        }
    }
}
