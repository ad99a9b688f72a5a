using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Hosting;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// `run` takes its gateway lock where it can: a state directory that cannot be created used to end
/// the run with exit 1 before any output was driven (systemd restarted, then rebooted, the gateway).
/// </summary>
public sealed class RunLockFallbackTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-run-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private GatewayConfig Config(string state)
    {
        var loaded = GatewayConfigLoader.Build(
            Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            [$"EdgeGuard:stateDirectory={state}", $"EdgeGuard:journal:fallbackDirectory={Path.Combine(_dir, "run")}"]);
        return GatewayConfigReader.Read(loaded.Configuration, simulate: true).Config!;
    }

    [Fact]
    public async Task A_state_directory_that_cannot_be_created_gives_the_lock_in_the_fallback_directory_with_a_warning()
    {
        var blocker = Path.Combine(_dir, "blocker");
        await File.WriteAllTextAsync(blocker, "a file where the state directory should be");
        var error = new StringWriter();

        using var held = await RunVerbHandler.AcquireLockAsync(Config(blocker), error, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(_dir, "run", GatewayLock.FileName)));
        Assert.Contains($"the state directory {blocker} cannot be used", error.ToString(), StringComparison.Ordinal);
        // Still a lock: a walk test on the same directory is refused while the gateway runs.
        Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(Path.Combine(_dir, "run")));
    }

    [Fact]
    public async Task A_usable_state_directory_holds_the_lock_as_before()
    {
        var state = Path.Combine(_dir, "state");
        var error = new StringWriter();

        using var held = await RunVerbHandler.AcquireLockAsync(Config(state), error, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(state, GatewayLock.FileName)));
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));
        Assert.Empty(error.ToString());
    }

    [Fact]
    public async Task A_state_directory_that_does_not_answer_gives_the_lock_in_the_fallback_directory_at_the_deadline()
    {
        var state = Path.Combine(_dir, "state");
        var fallback = Path.Combine(_dir, "run");
        using var release = new ManualResetEventSlim();
        var lateOpens = 0;
        var error = new StringWriter();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        // A hung card: the state directory's lock file open does not return until released.
        using (var held = await RunVerbHandler.AcquireLockAsync(Config(state), error, _ => { }, TimeSpan.FromMilliseconds(300),
            (path, mode, access) =>
            {
                if (path.StartsWith(state, StringComparison.Ordinal))
                {
                    release.Wait(TimeSpan.FromSeconds(30));
                    Interlocked.Increment(ref lateOpens);
                }

                return new FileStream(path, mode, access, FileShare.None);
            }, CancellationToken.None))
        {
            Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "not held by the hung card");
            Assert.True(File.Exists(Path.Combine(fallback, GatewayLock.FileName)));
            Assert.Contains($"the state directory {state} cannot be used", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("did not answer within 0.3 s", error.ToString(), StringComparison.Ordinal);
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(fallback));

            // The card answers late: the abandoned attempt's lock is let go at once, not kept by no one.
            release.Set();
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref lateOpens) == 1, TimeSpan.FromSeconds(30)));
            Assert.True(SpinWait.SpinUntil(() => CanLock(state), TimeSpan.FromSeconds(30)), "the late lock is released");
        }
    }

    [Fact]
    public async Task A_card_that_answers_the_lock_files_open_with_an_I_O_error_gives_the_lock_in_the_fallback_directory()
    {
        var state = Path.Combine(_dir, "state");
        var fallback = Path.Combine(_dir, "run");
        Directory.CreateDirectory(state);
        GatewayLock.Acquire(state).Dispose(); // the lock file an earlier boot created, before the card began to fail
        var error = new StringWriter();
        var waits = 0;
        using var giveUp = new CancellationTokenSource();

        // A failing card: it answers, with EIO, as no holder's lock would.
        var taking = RunVerbHandler.AcquireLockAsync(Config(state), error, _ => Interlocked.Increment(ref waits), TimeSpan.FromSeconds(10),
            (path, mode, access) => path.StartsWith(state, StringComparison.Ordinal)
                ? throw new IOException($"Input/output error : '{path}'", 5)
                : new FileStream(path, mode, access, FileShare.None), giveUp.Token);
        try
        {
            using var held = await taking.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, Volatile.Read(ref waits)); // no "waiting for the walk test" that never ends
            Assert.True(File.Exists(Path.Combine(fallback, GatewayLock.FileName)));
            Assert.Contains($"the state directory {state} cannot be used", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("Input/output error", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("waiting", error.ToString(), StringComparison.Ordinal);
            Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(fallback));
        }
        finally
        {
            await giveUp.CancelAsync(); // the unchanged code's wait, which never ends by itself
        }
    }

    private static bool CanLock(string directory)
    {
        try
        {
            GatewayLock.Acquire(directory).Dispose();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
