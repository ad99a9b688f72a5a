using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// The office command path in the host: the MQTT subscriber, the verifier with the configured
/// operator keys (<see cref="OperatorKeyFiles"/>, which also stands for those whose file is
/// missing), the replay store in the journal database, the event journal as the attempt log and
/// the controller as the executor (the publisher for <c>resend</c>).
/// </summary>
internal static class CommandComposition
{
    /// <summary>Registers the command subscriber on the same broker as the publisher.</summary>
    public static IServiceCollection AddOfficeCommands(this IServiceCollection services, GatewayConfig config)
    {
        services.AddSingleton<ISeenCommandIds>(sp => new SqliteSeenCommandIds(sp.GetRequiredService<JournalDatabase>(), sp.GetRequiredService<TimeProvider>()));
        // Faults about key files go where the board's go: the controller's loop, after
        // gateway.started.
        services.AddSingleton(sp => new OperatorKeyFiles(
            config.Commands,
            sp.GetRequiredService<SiteController>().ReportFromOutside,
            sp.GetRequiredService<SiteController>().WithdrawApprovalOf,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<OperatorKeyFiles>>()));
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var journal = sp.GetRequiredService<EventJournal>();
            var options = config.Commands.VerifierOptions(config.Site.SiteId, config.Site.GatewayId);
            var verifier = new CommandVerifier(sp.GetRequiredService<OperatorKeyFiles>(), sp.GetRequiredService<ISeenCommandIds>(), options, new UnrecordedCommands(time));
            // Before the subscriber exists, so before any command can reach the loop: the loop
            // asks the key again as it executes each command, closing the gap between the
            // handler's check and its turn (a withdrawal there reaches the loop first).
            sp.GetRequiredService<SiteController>().RefuseWithdrawnKeys(verifier.KeyNoLongerTrusted);
            var attempts = new FlushingCommandJournal(journal, journal.FlushAsync, time);
            // A resend changes nothing on site: the publisher carries it out, the controller the rest.
            var executor = new ResendCommandExecutor(
                sp.GetRequiredService<OutboxPublisher>(), attempts, new ControllerCommandExecutor(sp.GetRequiredService<SiteController>(), journal), time,
                sp.GetRequiredService<ILogger<ResendCommandExecutor>>());
            var handler = new CommandHandler(
                verifier,
                attempts,
                executor,
                options.MaxPayloadBytes,
                time,
                sp.GetRequiredService<ILogger<CommandHandler>>());
            return new CommandSubscriber(new CommandSubscriberOptions
            {
                Broker = sp.GetRequiredService<MqttPublisherOptions>(),
                // A command the broker queues while the gateway is away is good for at most its lifetime
                // plus the skew: keep the session exactly that long, whatever commands.maxLifetimeSeconds says.
                SessionExpiry = options.MaxLifetime + options.ClockSkew,
            }, handler, time, sp.GetRequiredService<ILogger<CommandSubscriber>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<CommandSubscriber>());
        return services;
    }

    /// <summary>
    /// The controller behind the subscriber's executor port: commands enter its loop like any input.
    /// An acknowledgement's event is looked up here, on the subscriber's thread, so the loop that
    /// drives the locks never waits on a journal read.
    /// </summary>
    private sealed class ControllerCommandExecutor(SiteController controller, EventJournal journal) : ICommandExecutor
    {
        public async Task<CommandExecution> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
        {
            var input = new OfficeCommandInput(command) { Acknowledged = command.Command.Type == CommandType.Acknowledge ? Lookup(command.Command) : null };
            var outcome = await controller.ExecuteAsync(input, cancellationToken).ConfigureAwait(false);
            return new CommandExecution(outcome.Done, outcome.Detail);
        }

        private JournaledAlarm? Lookup(CommandEnvelope command) =>
            command.StringArgument("event_id") is { } text && Guid.TryParseExact(text, "D", out var id)
                ? journal.FindAlarm(id)
                : null;
    }
}
