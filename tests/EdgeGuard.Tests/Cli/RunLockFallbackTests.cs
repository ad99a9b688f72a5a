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
}
