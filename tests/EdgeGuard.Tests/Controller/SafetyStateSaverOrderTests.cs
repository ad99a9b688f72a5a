using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The order the saver keeps between the boot's load, given up on, and the saves after it: no
/// save reaches the row while the load runs, nor once it ended until the controller took what it
/// read, so the row still holds the late read when the controller decides whether to put it back.
/// </summary>
public sealed class SafetyStateSaverOrderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly SafetyState Panic = new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic", DateTimeOffset.UnixEpoch), true);

    [Fact]
    public async Task A_save_waits_for_the_hung_load_and_for_the_controller_to_take_what_it_read()
    {
        var store = new HungLoadStore();
        using var ended = new SemaphoreSlim(0);
        using var saver = new SafetyStateSaver(store, TimeProvider.System, () => ended.Release());

        var load = await saver.LoadAsync(TimeSpan.FromMilliseconds(50), _ => false, CancellationToken.None).WaitAsync(Patience);
        Assert.True(load.TimedOut);

        // A decision's save while the load hangs: not handed, the row keeps what the load reads.
        var behind = saver.Save(Panic, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        Assert.NotNull(behind.RunningSince);

        store.Release.Set();
        Assert.True(await ended.WaitAsync(Patience), "the load's end was never handed on");

        // A save (a retry, a decision queued ahead of the load's end) before the controller took
        // what the load read: not handed either. Before, it was, and the controller then dropped
        // the late read's lockdown as "overwritten by a save since the boot".
        var early = saver.Save(Panic, TimeSpan.Zero, Patience);
        Assert.NotNull(early.Failure);
        Assert.NotNull(early.RunningSince);
        Assert.Equal(["load ended"], store.Log);

        // Once taken, saves are handed as usual.
        Assert.NotNull(saver.TakeAbandonedLoad());
        Assert.Null(saver.Save(Panic, TimeSpan.Zero, Patience).Failure);
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
