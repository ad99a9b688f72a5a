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
              "points": [ { "id": "p", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" },
                          { "id": "k", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "z" } ],
              "outputs": [ { "id": "s", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "z" },
                           { "id": "l", "kind": "lock", "line": 13, "activeLevel": "high", "zone": "z", "failMode": "failSecure" } ],
              "lockdown": { "clearKeyswitches": [ "k" ] } } }
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

    [Fact]
    public async Task On_a_read_only_file_system_the_existing_lock_file_is_locked_read_only_and_still_refuses_a_second_holder()
    {
        GatewayLock.Acquire(_dir).Dispose(); // the lock file an earlier run created before the card went read-only

        using var held = GatewayLock.Acquire(_dir, ReadOnlyFileSystem, goOnWithoutFile: true);

        Assert.True(held.OnReadOnlyFileSystem);
        Assert.False(held.WithoutLockFile);
        Assert.Contains("read-only", held.Warning, StringComparison.Ordinal);
        // flock(1) from util-linux, as a second process: the read-only descriptor holds the lock for real.
        using var flock = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["-n", Path.Combine(_dir, GatewayLock.FileName), "true"]))!;
        await flock.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, flock.ExitCode);
        Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(_dir, ReadOnlyFileSystem, goOnWithoutFile: true));
    }

    [Fact]
    public void On_a_read_only_file_system_a_real_holder_is_still_held()
    {
        using var holder = GatewayLock.Acquire(_dir);

        var refused = Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(_dir, ReadOnlyFileSystem, goOnWithoutFile: true));

        Assert.Equal(Environment.ProcessId, refused.HolderPid);
    }

    [Fact]
    public async Task On_a_read_only_file_system_without_a_lock_file_the_gateway_goes_on_without_it_and_says_so()
    {
        var waits = 0;

        using var taken = await GatewayLock.AcquireWaitingAsync(_dir, _ => waits++, TimeProvider.System, CancellationToken.None, ReadOnlyFileSystem)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, waits); // EROFS is not "held": nothing to wait for
        Assert.True(taken.OnReadOnlyFileSystem);
        Assert.True(taken.WithoutLockFile);
        Assert.Contains("cannot be created", taken.Warning, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, GatewayLock.FileName)));
    }

    [Fact]
    public void On_a_read_only_file_system_without_a_lock_file_the_walk_tests_acquire_still_refuses()
    {
        var refused = Assert.Throws<IOException>(() => GatewayLock.Acquire(_dir, ReadOnlyFileSystem, goOnWithoutFile: false));

        Assert.IsNotType<GatewayLockedException>(refused);
        Assert.Equal(30, refused.HResult);
    }

    [Fact]
    public void On_a_writable_file_system_there_is_no_warning()
    {
        using var held = GatewayLock.Acquire(_dir);

        Assert.False(held.OnReadOnlyFileSystem);
        Assert.False(held.WithoutLockFile);
        Assert.Null(held.Warning);
    }

    [Fact]
    public async Task An_I_O_error_opening_an_existing_lock_file_is_the_storage_failing_not_a_holder()
    {
        GatewayLock.Acquire(_dir).Dispose(); // the lock file an earlier run created before the card began to fail
        var waits = 0;

        var failed = Assert.Throws<IOException>(() => GatewayLock.Acquire(_dir, FailingCard, goOnWithoutFile: true));
        var waited = await Assert.ThrowsAnyAsync<IOException>(() =>
            GatewayLock.AcquireWaitingAsync(_dir, _ => waits++, TimeProvider.System, CancellationToken.None, FailingCard).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.IsNotType<GatewayLockedException>(failed);
        Assert.Equal(5, failed.HResult);
        Assert.IsNotType<GatewayLockedException>(waited);
        Assert.Equal(0, waits); // EIO is not "held": waiting for it would never end
    }

    [Fact]
    public void On_a_read_only_file_system_an_I_O_error_reading_the_lock_file_is_the_storage_failing_not_a_holder()
    {
        GatewayLock.Acquire(_dir).Dispose();

        var failed = Assert.Throws<IOException>(() => GatewayLock.Acquire(_dir,
            (path, mode, access) => (access & FileAccess.Write) != 0 ? ReadOnlyFileSystem(path, mode, access) : FailingCard(path, mode, access),
            goOnWithoutFile: true));

        Assert.IsNotType<GatewayLockedException>(failed);
        Assert.Equal(5, failed.HResult);
    }

    [Fact]
    public void A_held_lock_is_what_dotnet_reports_as_EWOULDBLOCK()
    {
        using var held = GatewayLock.OpenLocked(Path.Combine(_dir, GatewayLock.FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite);

        // The one IOException that means "held": flock(LOCK_EX | LOCK_NB) failing with EWOULDBLOCK (11), which
        // .NET puts in HResult; GatewayLock tells a holder from a failing card by it.
        var refused = Assert.Throws<IOException>(() => GatewayLock.OpenLocked(Path.Combine(_dir, GatewayLock.FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite));
        Assert.Equal(11, refused.HResult);
        Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(_dir));
    }

    // What the kernel answers on a file system mounted (or remounted) read-only: EROFS (errno 30, which .NET
    // puts in HResult) for any open that could write or create, while an existing file still opens for
    // reading, and flock works on that descriptor.
    private static FileStream ReadOnlyFileSystem(string path, FileMode mode, FileAccess access) =>
        (access & FileAccess.Write) != 0 || (mode != FileMode.Open && !File.Exists(path))
            ? throw new IOException($"Read-only file system : '{path}'", 30)
            : new FileStream(path, mode, access, FileShare.None);

    // A failing SD card: the open answers, with EIO (errno 5, which .NET puts in HResult).
    private static FileStream FailingCard(string path, FileMode mode, FileAccess access) =>
        throw new IOException($"Input/output error : '{path}'", 5);
}
