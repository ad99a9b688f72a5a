using EdgeGuard.Cli;
using EdgeGuard.Hosting;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The gateway lock (flock on stateDirectory/edgeguard.lock): one holder at a time — a second holder, in this
/// process or another, is refused with the first one's pid — released on dispose, and taken by <c>run</c>
/// before any hardware is opened.
/// </summary>
public sealed class GatewayLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_second_holder_is_refused_with_the_first_ones_pid_until_the_first_lets_go()
    {
        var first = GatewayLock.Acquire(_dir);

        var refused = Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(_dir));
        Assert.Equal(Environment.ProcessId, refused.HolderPid);
        Assert.Equal(Path.Combine(_dir, GatewayLock.FileName), refused.LockPath);

        first.Dispose();
        using var second = GatewayLock.Acquire(_dir);
    }

    [Fact]
    public async Task Another_process_cannot_take_it_while_it_is_held()
    {
        using var held = GatewayLock.Acquire(_dir);

        // flock(1) from util-linux, as a second process: -n fails at once (exit 1) when the lock is taken.
        using var flock = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["-n", Path.Combine(_dir, GatewayLock.FileName), "true"]))!;
        await flock.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, flock.ExitCode);
    }

    [Fact]
    public async Task Waiting_for_the_lock_takes_it_once_the_holder_lets_go()
    {
        var held = GatewayLock.Acquire(_dir);
        var waits = 0;

        var taking = GatewayLock.AcquireWaitingAsync(_dir, _ => Interlocked.Increment(ref waits), TimeProvider.System, CancellationToken.None);
        await Eventually.TrueAsync(() => Volatile.Read(ref waits) == 1, TimeSpan.FromSeconds(30), "the first attempt found it held");
        Assert.False(taking.IsCompleted);
        held.Dispose();

        using var taken = await taking.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, waits);
        Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(_dir));
    }

    [Fact]
    public async Task Run_waits_for_the_holder_opening_nothing_meanwhile_and_gives_up_when_cancelled()
    {
        var config = Path.Combine(_dir, "gw.json");
        File.WriteAllText(config, $$"""
            { "EdgeGuard": { "site": "s", "gateway": "g", "stateDirectory": "{{_dir}}",
              "zones": [ { "id": "z", "name": "Z" } ],
              "points": [ { "id": "p", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" } ],
              "outputs": [ { "id": "s", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "z" } ] } }
            """);
        using var held = GatewayLock.Acquire(_dir);
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();

        var run = RunVerbHandler.RunAsync(config, simulate: true, TextWriter.Null, error, stop.Token);
        await Eventually.TrueAsync(() => error.ToString().Contains("waiting", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the waiting message");
        await Task.Delay(GatewayLock.RetryInterval * 2);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"waiting: another gateway or a walk test is using {_dir} (pid {Environment.ProcessId}); this gateway starts once it stops", error.ToString());
        Assert.False(File.Exists(Path.Combine(_dir, "edgeguard.db"))); // nothing opened while waiting
    }
}
