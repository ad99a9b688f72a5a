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
    /// <summary>Creates the host; <paramref name="configure"/> lets tests replace services.</summary>
    public static IHost Build(GatewayConfig config, IConfiguration configuration, Action<IServiceCollection>? configure = null)
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
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddEdgeGuard(config);
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
