using EdgeGuard.Configuration;
using EdgeGuard.Hosting.Systemd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>Builds the gateway's generic host from a validated configuration.</summary>
public static class GatewayHost
{
    /// <summary>
    /// How long the host gives its services to stop, one after another (reverse registration
    /// order): the office commands' drain (2 s), the publisher's orderly stop (at most
    /// <see cref="EdgeGuard.Mqtt.Publishing.OutboxPublisher.OrderlyStopLimit"/>, 10 s: the outbox's
    /// delivery, then <c>offline</c> and DISCONNECT), then the controller. 5 s cut the publisher's
    /// stop short, and the journal was closed under a publisher still running. The journal's drain
    /// (up to 10 s) comes after this, when the host is disposed: systemd's <c>TimeoutStopSec=30s</c>
    /// (deploy/edgeguard.service) holds both and 2 s for the rest of the exit; docs/architecture.md,
    /// stop budget.
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(18);

    /// <summary>
    /// How long the command line lets a verb run after SIGTERM or SIGINT before it ends the process
    /// anyway: the host's <see cref="ShutdownTimeout"/> and the journal's drain (10 s) after it, and
    /// a second for the exit, under systemd's <c>TimeoutStopSec=30s</c>. With System.CommandLine's
    /// default, 2 s, <c>Main</c> returned 143 while a longer stop went on; only the host's console
    /// lifetime, waiting in its process-exit handler for the host's disposal, kept the process
    /// alive, and it then set the exit code to 0 whatever the run's own was.
    /// </summary>
    public static readonly TimeSpan StopGrace = ShutdownTimeout + TimeSpan.FromSeconds(11);

    /// <summary>Creates the host; <paramref name="configure"/> lets tests replace services.</summary>
    /// <param name="config">The validated configuration.</param>
    /// <param name="configuration">Where it came from (logging levels).</param>
    /// <param name="configure">Replaces services after the gateway's own (tests).</param>
    /// <param name="environment">
    /// Where systemd's <c>NOTIFY_SOCKET</c> and <c>WATCHDOG_*</c> come from: the process's by default; a test's
    /// own, so tests in parallel each talk to their own socket.
    /// </param>
    public static IHost Build(GatewayConfig config, IConfiguration configuration, Action<IServiceCollection>? configure = null,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddConfiguration(configuration);
        ConfigureLogging(builder.Logging, configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddEdgeGuard(config, environment);
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// Why the host's logging cannot be set up from <paramref name="configuration"/>, or null: it is
    /// built as <see cref="Build"/> builds it and a logger created, which parses every
    /// <c>Logging</c> value. <c>validate</c> asks, so that it refuses whatever <c>run</c> would stop
    /// on; GatewayConfigReader names the values it knows by their paths, this catches the rest (the
    /// JSON formatter's options, a setting a later framework adds).
    /// </summary>
    public static string? LoggingProblem(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = new ServiceCollection();
        services.AddLogging(logging => ConfigureLogging(logging, configuration));
        try
        {
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayHost).FullName!);
            return null;
        }
        catch (Exception ex) when (IsSetupFailure(ex))
        {
            return Describe(ex);
        }
    }

    /// <summary>
    /// What building the host or its logging throws for a configuration value the framework cannot
    /// take (an option's parse or range check). Not fixed by a restart, so exit 2, not 1.
    /// </summary>
    internal static bool IsSetupFailure(Exception exception) =>
        exception is InvalidOperationException or ArgumentException or FormatException or OverflowException;

    /// <summary>The framework's message with its causes' (which name the key), each once.</summary>
    internal static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message, StringComparer.Ordinal))
            {
                messages.Add(e.Message);
            }
        }

        return string.Join(" ", messages);
    }

    // One setup for the host and for LoggingProblem, so validate checks what run builds.
    private static void ConfigureLogging(ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.AddConfiguration(configuration.GetSection(GatewayConfigReader.LoggingSectionName));
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Under systemd: journald-friendly logs. Readiness and the watchdog are SystemdWatchdog's (AddEdgeGuard).
        logging.Services.AddSystemdLogging();
        logging.AddGuarded();
    }
}
