using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Hardware;
using EdgeGuard.Hosting;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// `run` on real lines holds the gateway lock in the fallback directory as well as in the state directory, as
/// the walk test does. A gateway that took its lock only in /run/edgeguard (its card was slow at its start) was
/// not seen by a second `run` whose card answered: that one took the state directory's lock and wrote its boot
/// plan to the I²C expander's outputs under the first (kernel GPIO lines are exclusive, expanders are not).
/// </summary>
public sealed class RunFallbackLockTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("eg-run-fallback-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string State => Path.Combine(_dir, "state");

    private string Fallback => Path.Combine(_dir, "run");

    // The gateway's config on real lines (libgpiod), or on simulated ones.
    private GatewayConfig Config(string state, string fallback, bool simulated = false)
    {
        var loaded = GatewayConfigLoader.Build(
            Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            [$"EdgeGuard:stateDirectory={state}", $"EdgeGuard:journal:fallbackDirectory={fallback}"]);
        var config = GatewayConfigReader.Read(loaded.Configuration, simulate: true).Config!;
        return simulated ? config : config with { Hardware = config.Hardware with { Driver = GpioDriverKind.LibGpiod } };
    }

    private static async Task<IDisposable> Take(GatewayConfig config, TextWriter error, Action<GatewayLockedException>? whileHeld = null,
        CancellationToken ct = default) =>
        await RunVerbHandler.AcquireLockAsync(config, error, whileHeld ?? (_ => { }), RunVerbHandler.LockDeadline, GatewayLock.OpenLocked, ct);

    [Fact]
    public async Task On_real_lines_run_holds_the_fallback_directorys_lock_as_well_as_the_state_directorys()
    {
        var error = new StringWriter();

        using (await Take(Config(State, Fallback), error).WaitAsync(Patience))
        {
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(State));
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(Fallback));
            Assert.Empty(error.ToString());
        }

        GatewayLock.Acquire(State).Dispose();
        GatewayLock.Acquire(Fallback).Dispose();
    }

    [Fact]
    public async Task A_second_run_waits_for_a_gateway_that_holds_only_the_fallback_directorys_lock()
    {
        Directory.CreateDirectory(Fallback);
        var first = GatewayLock.Acquire(Fallback); // gateway A: its card was slow at its start
        var error = new StringWriter();
        var waits = 0;
        using var giveUp = new CancellationTokenSource();

        // Gateway B, started by hand: the card answers now.
        var second = Take(Config(State, Fallback), error, _ => Interlocked.Increment(ref waits), giveUp.Token);
        try
        {
            await Task.Delay(GatewayLock.RetryInterval * 2);
            Assert.False(second.IsCompleted, "B started under A");
            await Eventually.TrueAsync(() => Volatile.Read(ref waits) >= 2, Patience, "B renews systemd's start timeout while it waits");
            Assert.Contains($"waiting: another gateway or a walk test is using {Fallback}", error.ToString(), StringComparison.Ordinal);

            first.Dispose();
            using var taken = await second.WaitAsync(Patience);
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(State));
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(Fallback));
        }
        finally
        {
            first.Dispose();
            await giveUp.CancelAsync();
        }
    }

    [Fact]
    public async Task A_walk_test_holding_the_state_lock_is_still_waited_for_first()
    {
        Directory.CreateDirectory(State);
        Directory.CreateDirectory(Fallback);
        var walkTest = GatewayLock.Acquire(State);
        var error = new StringWriter();
        using var giveUp = new CancellationTokenSource();

        var run = Take(Config(State, Fallback), error, ct: giveUp.Token);
        try
        {
            await Eventually.TrueAsync(() => error.ToString().Contains($"is using {State} ", StringComparison.Ordinal), Patience, "the waiting message");
            // Waiting on the state directory, it holds nothing in the fallback directory (the walk test's order).
            GatewayLock.Acquire(Fallback).Dispose();

            walkTest.Dispose();
            using var taken = await run.WaitAsync(Patience);
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(Fallback));
        }
        finally
        {
            walkTest.Dispose();
            await giveUp.CancelAsync();
        }
    }

    [Fact]
    public async Task A_fallback_directory_that_cannot_be_created_leaves_run_on_the_state_directorys_lock_saying_so()
    {
        var blocker = Path.Combine(_dir, "blocker");
        await File.WriteAllTextAsync(blocker, "a file where the fallback directory's parent should be");
        var fallback = Path.Combine(blocker, "run");
        var error = new StringWriter();

        using (await Take(Config(State, fallback), error).WaitAsync(Patience))
        {
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(State));
            Assert.Contains($"the gateway lock cannot be taken in the fallback directory {fallback}", error.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_fallback_directory_that_is_the_state_directory_is_locked_once()
    {
        var error = new StringWriter();

        using (await Take(Config(State, State + "/"), error).WaitAsync(Patience))
        {
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(State));
            Assert.Empty(error.ToString());
        }
    }

    [Fact]
    public async Task On_simulated_lines_run_leaves_the_fallback_directory_alone()
    {
        // Nothing to drive twice; and simulated gateways (a developer's, the tests') share /run/edgeguard.
        Directory.CreateDirectory(Fallback);
        using var other = GatewayLock.Acquire(Fallback);
        var error = new StringWriter();

        using (await Take(Config(State, Fallback, simulated: true), error).WaitAsync(Patience))
        {
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(State));
            Assert.Empty(error.ToString());
        }
    }
}
