using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The gateway's TLS client key is gone (a botched certificate rotation, a wiped
/// /etc/edgeguard/tls): <c>run</c> must still arm the site and obey a panic button. Before, the
/// config check refused to start and systemd restarted it into the same refusal forever, leaving the
/// doors without their controller. The link stays down and says why: one critical log line and the
/// systemd status line naming the file, one <c>fault.broker</c> however often it retries.
/// </summary>
public sealed class MissingTlsFileHostTests
{
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_its_client_key_missing_the_gateway_arms_and_a_panic_press_locks_the_site_down()
    {
        using var state = new TempDirectory();
        var pki = new TestPki(state.Path);
        var (cert, _) = pki.IssueClient("gw-chancery");
        var missingKey = state.File("gw-chancery.key.rotated-away");
        var log = new CapturedLog();

        await using var gateway = await TestGateway.StartAsync(
            state.Path,
            overrides: TlsOverrides(TestGateway.FreeLoopbackPort(), pki.CaFile, cert, missingKey),
            services: services => services.AddSingleton<ILoggerProvider>(log));

        Assert.Equal(SiteMode.Normal, gateway.Controller.Current!.Mode);
        await gateway.PlayAsync(
            Scenario.Parse(
                "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nexpect output lock-chancery locked\nexpect output siren-main on\nrelease panic-lobby",
                "panic without the office link"),
            ExpectTimeout);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lock-lobby")), "the lobby maglock is energised: locked");
        Assert.Contains(gateway.Recorder.Events, e => e.Type == "lockdown.started");

        // The link: several attempts, none of them made without the key, one fault for all of them.
        var publisher = gateway.Host.Services.GetRequiredService<OutboxPublisher>();
        await Eventually.TrueAsync(() => publisher.ConnectAttempts >= 3, Patience, "three connect attempts");
        Assert.Equal(0, publisher.Connects);
        var problem = $"TLS client key file '{missingKey}' (mqtt.tls.keyFile) does not exist";
        Assert.Equal(problem, publisher.TlsFileProblem);
        var status = SystemdComposition.StatusLine(gateway.Controller, publisher);
        Assert.StartsWith($"OFFICE LINK DOWN: {problem}", status, StringComparison.Ordinal);
        Assert.EndsWith("mode lockdown, broker disconnected", status, StringComparison.Ordinal);
        var critical = Assert.Single(log.Entries, e => e.Level == LogLevel.Critical && e.Category == typeof(OutboxPublisher).FullName);
        Assert.Contains(problem, critical.Message, StringComparison.Ordinal);
        Assert.Contains("no restart needed", critical.Message, StringComparison.Ordinal);

        await gateway.Host.Services.GetRequiredService<EventJournal>().FlushAsync().WaitAsync(Patience);
        var fault = Assert.Single(JournalFile.Events(Path.Combine(state.Path, JournalDatabase.FileName)), e => e.Type == "fault.broker");
        using var data = System.Text.Json.JsonDocument.Parse(fault.Data);
        Assert.Equal($"the gateway's {problem}", data.RootElement.GetProperty("reason").GetString());
    }

    /// <summary>An office broker on loopback reached over mutual TLS with these files.</summary>
    internal static string[] TlsOverrides(int port, string ca, string cert, string key) =>
    [
        "EdgeGuard:mqtt:host=127.0.0.1",
        $"EdgeGuard:mqtt:port={port}",
        $"EdgeGuard:mqtt:tls:caFile={ca}",
        $"EdgeGuard:mqtt:tls:certFile={cert}",
        $"EdgeGuard:mqtt:tls:keyFile={key}",
        "EdgeGuard:mqtt:tls:revocation=noCheck",
    ];

    /// <summary>Every log entry at the configured level or above, with its category.</summary>
    internal sealed class CapturedLog : ILoggerProvider
    {
        private readonly Lock _gate = new();
        private readonly List<(string Category, LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._gate)
                {
                    owner._entries.Add((category, logLevel, formatter(state, exception)));
                }
            }
        }
    }
}
