using System.Device.Gpio;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Broker;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>All of the gateway's service registrations, in one place.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Composes hardware, journal, controller and (in simulate mode) simulator and embedded broker.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="config">The validated configuration.</param>
    /// <param name="environment">Where systemd's variables come from; the process's when null.</param>
    public static IServiceCollection AddEdgeGuard(this IServiceCollection services, GatewayConfig config,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var simulate = config.Hardware.Driver == GpioDriverKind.Simulated;
        services.AddGatewayHardware(config);
        // The I/O board's supervision reports go through the controller loop, in one order with its events.
        services.AddSingleton(sp => new HardwareFaultReporter(events => sp.GetRequiredService<SiteController>().ReportFromOutside(events)));

        // Journal: the safety state survives power loss, and every event is journaled with its seq
        // before MQTT sees it. Created after the database, so the container disposes it first.
        // The open is bounded and always gives a journal: a damaged file is replaced, one that cannot
        // be opened gives a volatile one (JournalOpener), so the gateway protects the site either way.
        services.AddSingleton(sp => JournalOpener.Open(
            Path.Combine(config.StateDirectoryPath, JournalDatabase.FileName), config.Journal.FallbackDirectory,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<JournalOpening>().Database);
        services.AddSingleton<ISafetyStateStore>(sp => new SqliteSafetyStateStore(sp.GetRequiredService<JournalDatabase>()));
        services.AddSingleton(sp => JournalLogging.Create(
            sp.GetRequiredService<JournalOpening>(), sp.GetRequiredService<TimeProvider>(), config.Journal.Limits,
            sp.GetRequiredService<ILogger<EventJournal>>()));
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<EventJournal>());
        services.AddSingleton<IOutbox>(sp => sp.GetRequiredService<EventJournal>());

        if (simulate)
        {
            // Before the controller, so its settled read at boot sees each lock monitor where the lock
            // driven at boot puts it; it only reads outputs and sets simulated inputs.
            services.AddHostedService(sp => sp.GetRequiredService<SimulatedLockMonitors>());
        }

        // The controller boots first of the gateway's own parts: hosted services start in registration order.
        services.AddSingleton<SiteController>();
        services.AddHostedService(sp => sp.GetRequiredService<SiteController>());
        services.AddSingleton<ISiteStateSource>(sp => sp.GetRequiredService<SiteController>());

        if (simulate)
        {
            services.AddSingleton(sp => new SimulatorControlServer(
                config.Simulation.ControlSocket,
                config.Site,
                sp.GetRequiredService<SimulatedGpioDriver>(),
                sp.GetRequiredService<SiteController>(),
                sp.GetRequiredService<ILogger<SimulatorControlServer>>(),
                sp.GetRequiredService<SimulatedBoard>()));
            services.AddHostedService(sp => sp.GetRequiredService<SimulatorControlServer>());
        }
        else
        {
            // The board's own supply and temperature (AddGatewayHardware), into the controller's loop.
            services.AddHostedService(sp => sp.GetRequiredService<GatewayHealthChecks>());
        }

        var embedded = simulate && string.IsNullOrEmpty(config.Mqtt.Host);
        if (embedded)
        {
            services.AddSingleton(sp => new EmbeddedBroker(config.Mqtt.Port, sp.GetRequiredService<ILogger<EmbeddedBroker>>()));
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }

        // Delivery to the office: from the journal, never from the controller. A gateway with no
        // broker configured still protects the site and journals everything for later.
        if (embedded || !string.IsNullOrEmpty(config.Mqtt.Host))
        {
            // One set of broker options for both connections: the client ids' secret is read once.
            services.AddSingleton(sp => BrokerOptions.Build(config, embedded, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BrokerOptions))));
            services.AddSingleton(sp => new OutboxPublisher(
                sp.GetRequiredService<MqttPublisherOptions>(),
                sp.GetRequiredService<IOutbox>(),
                sp.GetRequiredService<ISiteStateSource>(),
                sp.GetRequiredService<EventJournal>().NextSession,
                new LoggedFaultSink(sp.GetRequiredService<EventJournal>(), sp.GetRequiredService<ILogger<LoggedFaultSink>>()),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<OutboxPublisher>>(),
                // A stuck journal writer shows on state/delivery, read beside the journal, not through it.
                Systemd.JournalStallSource.For(sp.GetRequiredService<EventJournal>(), sp.GetRequiredService<TimeProvider>()),
                // A session above the broker's when the journal went back (a restored card).
                sp.GetRequiredService<EventJournal>().NextSessionAbove,
                // And seqs above the broker's orderly offline's lastSeq, with a journal.gap.
                sp.GetRequiredService<EventJournal>().SkipSeqsThrough));
            services.AddHostedService(sp => sp.GetRequiredService<OutboxPublisher>());
            // Signed office commands, on a connection of their own to the same broker.
            services.AddOfficeCommands(config);
            // The link's certificates near or past their end, told to the office while the link
            // still works; its faults go where the key files' go: the controller's loop.
            var tls = BrokerOptions.TlsOf(config, embedded);
            if (CertificateExpiryChecks.Applies(tls))
            {
                services.AddSingleton(sp => new CertificateExpiryChecks(
                    tls,
                    sp.GetRequiredService<SiteController>().ReportFromOutside,
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<CertificateExpiryChecks>>()));
                services.AddHostedService(sp => sp.GetRequiredService<CertificateExpiryChecks>());
            }
        }

        // Last, so it stops first: STOPPING=1 before anything else winds down.
        services.AddSystemdWatchdog(environment ?? Environment.GetEnvironmentVariable);
        return services;
    }

    /// <summary>
    /// The gateway's lines as the gateway and the walk test both use them: the configured GPIO driver
    /// (simulated: also registered as <see cref="SimulatedGpioDriver"/>) under a real <see cref="GpioController"/>,
    /// native lines, expander pins and supervised loops. The caller registers the <see cref="HardwareFaultReporter"/>.
    /// </summary>
    internal static IServiceCollection AddGatewayHardware(this IServiceCollection services, GatewayConfig config)
    {
        services.AddSingleton(config);
        services.AddSingleton(config.Site);
        services.AddSingleton(TimeProvider.System);

        // Hardware: the real GpioController over the configured driver, simulated or not. The driver
        // is registered as an instance so the container never disposes it: the GpioController owns
        // it and closes its lines first.
        var (opened, chip) = GpioDriverFactory.CreateOnChip(config.Hardware);
        var driver = opened switch
        {
            // The simulated building starts quiet: doors closed, buttons up, fence intact.
            SimulatedGpioDriver simulated => simulated.WithQuietInputs(config.Site),
            var real => real,
        };
        services.AddSingleton(driver);
        services.AddSingleton(_ => new GpioController(driver));
        if (chip is not null)
        {
            services.AddSingleton(new ReleasedOutputsProbe(chip.Name, chip.Label, ReleasedOutputsCheck.ReadSysfs));
        }

        // Native lines, expander pins and supervised loops behind one IInputLines / IOutputLines.
        services.AddGatewayLines(config, driver);
        if (driver is SimulatedGpioDriver simulatedDriver)
        {
            services.AddSingleton(simulatedDriver);
        }
        else
        {
            // The board's own supply and temperature, reported where the board's faults go (the controller's
            // loop; the walk test's screen). A simulated gateway's host is no gateway board.
            services.AddSingleton(sp => new GatewayHealthChecks(
                "/sys",
                sp.GetRequiredService<HardwareFaultReporter>().Report,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<GatewayHealthChecks>>()));
        }

        return services;
    }
}
