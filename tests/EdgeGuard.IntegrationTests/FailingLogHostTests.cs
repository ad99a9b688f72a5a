using EdgeGuard.Core.Lockdown;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// A log provider that throws (a full disk under a file logger, a formatter's bug) costs log lines,
/// never protection: the framework hands a provider's exception to whoever logged, and the
/// controller logs at boot and in its decisions.
/// </summary>
public sealed class FailingLogHostTests
{
    [Fact]
    public async Task A_log_provider_that_throws_on_every_line_neither_stops_the_boot_nor_a_panic_press()
    {
        using var state = new TempDirectory();
        var provider = new ThrowingLogProvider();
        await using var gateway = await TestGateway.StartAsync(
            state.Path,
            overrides: ["Logging:LogLevel:Default=Information"],
            services: s => s.AddSingleton<ILoggerProvider>(provider));

        await gateway.PlayAsync(
            Scenario.Parse("press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nrelease panic-lobby", "panic"),
            TimeSpan.FromSeconds(5));

        Assert.Contains(gateway.Recorder.Events, e => e is LockdownStarted);
        Assert.True(provider.Thrown > 0, "the provider was asked to log and threw");
        // The loop still decides after the lines that failed: a fire releases egress.
        await gateway.PlayAsync(Scenario.Parse("activate fire-panel\nexpect output lock-lobby unlocked", "fire"), TimeSpan.FromSeconds(5));
        Assert.Equal(LifeSafety.FireEgressReleased, gateway.Controller.Snapshot!.State.LifeSafety);
    }

    private sealed class ThrowingLogProvider : ILoggerProvider
    {
        private int _thrown;

        public int Thrown => Volatile.Read(ref _thrown);

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(ThrowingLogProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => throw new IOException("no space left on device");

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                Interlocked.Increment(ref provider._thrown);
                throw new IOException("no space left on device");
            }
        }
    }
}
