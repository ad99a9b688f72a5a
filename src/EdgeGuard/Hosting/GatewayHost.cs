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
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Under systemd: journald-friendly logs. Readiness and the watchdog are SystemdWatchdog's (AddEdgeGuard).
        builder.Services.AddSystemdLogging();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddEdgeGuard(config, environment);
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
