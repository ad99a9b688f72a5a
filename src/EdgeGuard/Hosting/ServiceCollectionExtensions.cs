using System.Device.Gpio;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Broker;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>All of the gateway's service registrations, in one place.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Composes hardware, journal, controller and (in simulate mode) simulator and embedded broker.</summary>
    public static IServiceCollection AddEdgeGuard(this IServiceCollection services, GatewayConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var simulate = config.Hardware.Driver == GpioDriverKind.Simulated;
        services.AddSingleton(config);
        services.AddSingleton(config.Site);
        services.AddSingleton(TimeProvider.System);

        // Hardware: the real GpioController over the configured driver, simulated or not. The driver
        // is registered as an instance so the container never disposes it: the GpioController owns
        // it and closes its lines first.
        var driver = GpioDriverFactory.Create(config.Hardware) switch
        {
            // The simulated building starts quiet: doors closed, buttons up, fence intact.
            SimulatedGpioDriver simulated => simulated.WithQuietInputs(config.Site),
            var real => real,
        };
        services.AddSingleton(driver);
        services.AddSingleton(_ => new GpioController(driver));
        services.AddSingleton<IInputLines>(sp => new GpioInputLines(
            sp.GetRequiredService<GpioController>(), config.Site.Points, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<OutputLinesFactory>(sp => initial => new GpioOutputLines(
            sp.GetRequiredService<GpioController>(), config.Site.Outputs, initial));

        // Journal: the safety state survives power loss.
        services.AddSingleton(_ => JournalDatabase.Open(Path.Combine(config.StateDirectory, "edgeguard.db")));
        services.AddSingleton<ISafetyStateStore>(sp => new SqliteSafetyStateStore(sp.GetRequiredService<JournalDatabase>()));

        // The controller boots first: hosted services start in registration order.
        services.AddSingleton<SiteController>();
        services.AddHostedService(sp => sp.GetRequiredService<SiteController>());

        if (simulate)
        {
            services.AddSingleton((SimulatedGpioDriver)driver);
            services.AddSingleton(sp => new SimulatorControlServer(
                config.Simulation.ControlSocket,
                config.Site,
                (SimulatedGpioDriver)driver,
                sp.GetRequiredService<SiteController>(),
                sp.GetRequiredService<ILogger<SimulatorControlServer>>()));
            services.AddHostedService(sp => sp.GetRequiredService<SimulatorControlServer>());
        }

        if (simulate && string.IsNullOrEmpty(config.Mqtt.Host))
        {
            services.AddSingleton(sp => new EmbeddedBroker(config.Mqtt.Port, sp.GetRequiredService<ILogger<EmbeddedBroker>>()));
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }

        return services;
    }
}
