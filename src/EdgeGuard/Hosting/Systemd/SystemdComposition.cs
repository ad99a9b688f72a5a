using EdgeGuard.Controller;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeGuard.Hosting.Systemd;

/// <summary>Runs the gateway as a <c>Type=notify</c> systemd service with a watchdog.</summary>
internal static class SystemdComposition
{
    /// <summary>
    /// Registers the notifier and the watchdog. Call after every other hosted service: hosted services
    /// stop in reverse order, so <c>STOPPING=1</c> is the first thing that happens on the way down.
    /// </summary>
    /// <param name="services">The gateway's services.</param>
    /// <param name="environment">Where <c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c> and <c>WATCHDOG_PID</c> come from.</param>
    public static IServiceCollection AddSystemdWatchdog(this IServiceCollection services, Func<string, string?> environment)
    {
        services.AddSingleton(sp => SystemdNotifier.FromEnvironment(environment, sp.GetRequiredService<ILogger<SystemdNotifier>>()));
        services.AddSingleton(sp =>
        {
            var controller = sp.GetRequiredService<SiteController>();
            var publisher = sp.GetService<OutboxPublisher>();
            var database = sp.GetService<JournalDatabase>();
            var journal = sp.GetService<EventJournal>();
            var operatorKeys = sp.GetService<OperatorKeyFiles>();
            return new SystemdWatchdog(
                sp.GetRequiredService<SystemdNotifier>(),
                SystemdNotifier.WatchdogInterval(environment, Environment.ProcessId),
                controller,
                () => StatusLine(controller, publisher, JournalProblem(database, journal), operatorKeys),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SystemdWatchdog>>(),
                journal is not null ? () => ToProgress(journal.Progress) : null);
        });
        services.AddHostedService(sp => sp.GetRequiredService<SystemdWatchdog>());
        return services;
    }

    /// <summary>
    /// Under systemd, logs in journald's format (priority prefixes, no colours) and no "press Ctrl+C"
    /// banner. Readiness is <see cref="SystemdWatchdog"/>'s job, not the package's SystemdLifetime, which
    /// would say READY=1 on its own schedule; SIGTERM is handled by the default console lifetime.
    /// </summary>
    public static IServiceCollection AddSystemdLogging(this IServiceCollection services)
    {
        if (SystemdHelpers.IsSystemdService())
        {
            services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Systemd);
            services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        }

        return services;
    }

    /// <summary>
    /// What the status line says of the journal, read at every refresh: opened read-only at boot, or
    /// in a full episode now (the size limit reached with nothing delivered to age out, or every
    /// commit failing: a card full or remounted read-only while the gateway runs), when new events
    /// are dropped but critical ones. Read only at boot, a card that went read-only later showed
    /// "mode normal, broker connected" while nothing was saved, and the office hears of it only
    /// over a link that is up (fault.journal-full).
    /// </summary>
    internal static string? JournalProblem(JournalDatabase? database, EventJournal? journal) =>
        database?.IsReadOnly == true ? "JOURNAL READ-ONLY, nothing is saved (remount read-write or replace the SD card, then restart)"
        : journal?.IsFull == true ? "JOURNAL FULL, new events are dropped but critical ones (see fault.journal-full in the log: free the card, or let the office take the backlog)"
        : null;

    private static JournalProgress ToProgress((long Enqueued, long Handled) progress) => new(progress.Enqueued, progress.Handled);

    /// <summary>
    /// What <c>systemctl status edgeguard</c> shows: the mode and the office link, and, first, what only a
    /// visit mends: a journal that cannot be written (nothing is being saved), a TLS file the link cannot
    /// do without, an operator key file the office's commands cannot do without (which file to put
    /// back).
    /// </summary>
    internal static string StatusLine(SiteController controller, OutboxPublisher? publisher, string? journalProblem = null, OperatorKeyFiles? operatorKeys = null)
    {
        var mode = controller.Current is { } state ? state.Mode.ToString().ToLowerInvariant() : "booting";
        var broker = publisher is null ? "no broker configured" : publisher.IsConnected ? "broker connected" : "broker disconnected";
        var journal = journalProblem is null ? string.Empty : journalProblem + "; ";
        var tls = publisher?.TlsFileProblem is { } problem ? $"OFFICE LINK DOWN: {problem} (put it back; no restart needed); " : string.Empty;
        var keys = operatorKeys?.Problem is { } refused ? $"{refused} (put it back; no restart needed); " : string.Empty;
        return $"{journal}{tls}{keys}mode {mode}, {broker}";
    }
}
