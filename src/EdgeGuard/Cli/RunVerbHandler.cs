using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Hardware;
using EdgeGuard.Hosting;
using EdgeGuard.Hosting.Systemd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeGuard.Cli;

/// <summary>Loads configuration and runs the gateway host.</summary>
internal static class RunVerbHandler
{
    /// <summary>
    /// Loads and validates configuration; on any problem writes the full report and returns null,
    /// so the caller exits before a single GPIO line is opened. With <paramref name="warn"/> (the
    /// gateway itself) also writes each warning: what it starts without (a missing TLS file).
    /// <paramref name="use"/>: as for <see cref="GatewayConfigReader.Read"/>.
    /// </summary>
    public static (GatewayConfig Config, IConfiguration Configuration)? Load(string? path, bool simulate, TextWriter error, bool loadFiles = false, bool warn = false,
        ConfigUse use = ConfigUse.Gateway)
    {
        var loaded = GatewayConfigLoader.Build(path);
        var result = GatewayConfigLoader.Read(loaded, simulate, loadFiles, use);
        const string logging = GatewayConfigReader.LoggingSectionName;
        if (loadFiles && loaded.Errors.Count == 0
            && !result.Errors.Any(e => e.Path == logging || e.Path.StartsWith(logging + ":", StringComparison.Ordinal))
            && GatewayHost.LoggingProblem(loaded.Configuration) is { } problem)
        {
            // validate (loadFiles) refuses what run's host would stop on even where the reader
            // knows no path for it; run says so itself when it builds the host (BuildHost).
            result = new ConfigResult(null, [new ConfigError(logging, $"the host's logging cannot be set up from it: {problem}"), .. result.Errors]);
        }

        if (!result.IsValid)
        {
            error.WriteLine(ConfigErrorFormatter.Format(result.Errors));
            return null;
        }

        foreach (var warning in warn ? result.Warnings : [])
        {
            error.WriteLine($"edgeguard: warning: {warning}");
        }

        return (result.Config!, loaded.Configuration);
    }

    /// <summary>Runs the gateway until <paramref name="ct"/> fires or the host stops.</summary>
    /// <param name="path">The configuration file, or null for the default.</param>
    /// <param name="simulate">Simulated hardware.</param>
    /// <param name="output">Where the quick-start hint goes.</param>
    /// <param name="error">Where refusals and warnings go.</param>
    /// <param name="ct">Stops the gateway.</param>
    /// <param name="environment">
    /// Where systemd's <c>NOTIFY_SOCKET</c> and <c>WATCHDOG_*</c> come from: the process's by default (tests
    /// pass their own).
    /// </param>
    public static async Task<int> RunAsync(string? path, bool simulate, TextWriter output, TextWriter error, CancellationToken ct,
        Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (Load(path, simulate, error, warn: true) is not { } loaded)
        {
            return ExitCodes.InvalidConfig;
        }

        try
        {
            // Held for the process lifetime, before any line is opened: a walk test (or a second gateway) on the
            // same state directory refuses to start while this one runs, and this one waits for a walk test.
            // Under systemd the wait must keep renewing the start's timeout, or a walk test longer than
            // TimeoutStartSec ends in start after start and, at the start limit, a reboot (LockWaitNotices).
            // A no-op without NOTIFY_SOCKET.
            using var notifier = SystemdNotifier.FromEnvironment(environment);
            var waited = false;
            using var gatewayLock = await AcquireLockAsync(loaded.Config, error, held =>
            {
                waited = true;
                notifier.Notify(LockWaitNotices.Waiting(held));
            }, ct).ConfigureAwait(false);
            if (waited)
            {
                notifier.Notify(LockWaitNotices.Acquired);
            }

            foreach (var warning in gatewayLock.Warnings)
            {
                // The journal says the rest (read-only storage, what to do) once it is open.
                await error.WriteLineAsync($"edgeguard: warning: {warning}").ConfigureAwait(false);
            }

            if (BuildHost(loaded.Config, loaded.Configuration, environment, error) is not { } host)
            {
                return ExitCodes.InvalidConfig;
            }

            using var disposing = host;
            await host.StartAsync(ct).ConfigureAwait(false);
            if (simulate)
            {
                await output.WriteLineAsync(QuickStartHint(loaded.Config, SourceProject(AppContext.BaseDirectory))).ConfigureAwait(false);
            }

            await host.WaitForShutdownAsync(ct).ConfigureAwait(false);
            // A background service that failed stopped the host (StopHost): say why and exit 1, so
            // neither the person at the terminal nor systemd takes it for an orderly stop.
            if (host.Services.GetServices<IHostedService>().OfType<BackgroundService>()
                    .Select(s => s.ExecuteTask?.Exception?.GetBaseException()).FirstOrDefault(e => e is not null) is { } failed)
            {
                await error.WriteLineAsync($"edgeguard: stopped: {failed.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Journal.JournalException ex) when (ex.FromNewerBuild)
        {
            // Like a bad config, a journal a newer release migrated (a rollback) is not fixed by a
            // restart: exit 2, which the unit never restarts, instead of a reboot loop.
            await error.WriteLineAsync($"edgeguard: cannot run: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }
        catch (Exception ex) when (ex is HardwareException or InvalidOperationException or IOException or UnauthorizedAccessException or Journal.JournalException)
        {
            await error.WriteLineAsync($"edgeguard: cannot run: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// The host, or null after saying why it cannot be built from this configuration: a value the
    /// framework parses (logging, hosting) that the reader let through. It threw
    /// InvalidOperationException ("Configuration value 'Info' is not supported."), which ended run
    /// with exit 1; systemd restarts that until its start limit reboots the gateway, and the next
    /// boot fails alike. A restart does not mend a configuration: exit 2, which the unit never
    /// restarts. The logger factory is resolved here, so nothing of the kind is left for the start.
    /// </summary>
    private static IHost? BuildHost(GatewayConfig config, IConfiguration configuration, Func<string, string?> environment, TextWriter error)
    {
        IHost? host = null;
        try
        {
            host = GatewayHost.Build(config, configuration, environment: environment);
            host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger(typeof(RunVerbHandler).FullName!);
            return host;
        }
        catch (Exception ex) when (GatewayHost.IsSetupFailure(ex))
        {
            host?.Dispose();
            error.WriteLine($"edgeguard: cannot run: the host cannot be set up from the configuration: {GatewayHost.Describe(ex)} (see edgeguard validate)");
            return null;
        }
    }

    /// <summary>
    /// The gateway lock in the state directory; where that directory cannot be created or written
    /// (a file in its place, a card that refuses writes or answers with I/O errors), in the journal's
    /// volatile fallback directory instead, saying so. Failing here exited 1 before any output was
    /// driven, and systemd restarted and then rebooted the gateway for as long as the directory stayed
    /// that way; the journal runs from the fallback directory then anyway (JournalOpener). On real
    /// lines the fallback directory's lock is held beside the state directory's (RunLocks).
    /// </summary>
    internal static Task<RunLocks> AcquireLockAsync(GatewayConfig config, TextWriter error, CancellationToken ct) =>
        AcquireLockAsync(config, error, _ => { }, ct);

    /// <summary>As the overload above, calling <paramref name="whileHeld"/> on every attempt that finds the lock held.</summary>
    internal static Task<RunLocks> AcquireLockAsync(GatewayConfig config, TextWriter error,
        Action<GatewayLockedException> whileHeld, CancellationToken ct) =>
        AcquireLockAsync(config, error, whileHeld, LockDeadline, GatewayLock.OpenLocked, ct);

    /// <summary>
    /// How long the state directory has to answer the lock's first try (StateLockAttempt) before
    /// the lock is taken in the fallback directory: as long as the journal's open has
    /// (JournalOpener.OpenDeadline), and with it far inside systemd's <c>TimeoutStartSec=90s</c>.
    /// </summary>
    internal static readonly TimeSpan LockDeadline = TimeSpan.FromSeconds(10);

    /// <summary>As the overloads above, with the deadline and the lock file's opener a test's.</summary>
    internal static async Task<RunLocks> AcquireLockAsync(GatewayConfig config, TextWriter error,
        Action<GatewayLockedException> whileHeld, TimeSpan deadline, LockFileOpener open, CancellationToken ct)
    {
        var stateDirectory = config.StateDirectoryPath;
        GatewayLock state;
        try
        {
            // Bounded: a card that does not answer must not hold the start (StateLockAttempt).
            // Held by a walk test: the card answered, and the wait below retries inline. Any other
            // error (EIO from a failing card) is the storage's, not a holder's: the fallback below.
            state = await StateLockAttempt.RunAsync(stateDirectory, deadline, open, ct).ConfigureAwait(false)
                ?? await AcquireLockAsync(stateDirectory, error, whileHeld, open, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException && ex is not GatewayLockedException)
        {
            var fallback = config.Journal.FallbackDirectory;
            await error.WriteLineAsync($"edgeguard: warning: the state directory {stateDirectory} cannot be used ({ex.Message}): the gateway lock is taken in {fallback}, where the journal goes too").ConfigureAwait(false);
            Directory.CreateDirectory(fallback);
            return new RunLocks(await AcquireLockAsync(fallback, error, whileHeld, open, ct).ConfigureAwait(false), null);
        }

        try
        {
            // Second, as the walk test takes them: a gateway holding only this one (its card did not
            // answer at its start) drives the same expanders, and is waited for as a walk test is.
            return new RunLocks(state, await RunLocks.TakeFallbackAsync(config, error,
                directory => AcquireLockAsync(directory, error, whileHeld, open, ct)).ConfigureAwait(false));
        }
        catch
        {
            state.Dispose(); // cancelled while waiting
            throw;
        }
    }

    private static Task<GatewayLock> AcquireLockAsync(string directory, TextWriter error, Action<GatewayLockedException> whileHeld,
        LockFileOpener open, CancellationToken ct) =>
        GatewayLock.AcquireWaitingAsync(
            directory,
            held => error.WriteLine($"edgeguard: waiting: another gateway or a walk test is using {directory} ({held.Holder}); this gateway starts once it stops (Ctrl+C to give up)"),
            TimeProvider.System,
            ct,
            open,
            whileHeld);

    /// <summary>
    /// The project directory when this executable is a build in a source checkout
    /// (<c>src/EdgeGuard/bin/&lt;configuration&gt;/&lt;framework&gt;/</c>), else null (an installed release).
    /// </summary>
    /// <param name="baseDirectory">The executable's directory (<see cref="AppContext.BaseDirectory"/>).</param>
    internal static string? SourceProject(string baseDirectory)
    {
        var project = Directory.GetParent(Path.TrimEndingDirectorySeparator(baseDirectory))?.Parent?.Parent;
        return project is not null && File.Exists(Path.Combine(project.FullName, "EdgeGuard.csproj")) ? project.FullName : null;
    }

    /// <summary>
    /// What to type next, printed when the simulated gateway runs. From a source checkout
    /// (<paramref name="sourceProject"/>) that is the <c>dotnet run</c> form: <c>edgeguard</c> is
    /// on no PATH there, and a hint that does not run is worse than none.
    /// </summary>
    internal static string QuickStartHint(GatewayConfig config, string? sourceProject)
    {
        var socket = config.Simulation.ControlSocket;
        var panic = config.Site.Points.FirstOrDefault(p => p.Kind == Core.Site.PointKind.PanicButton)?.Id ?? "<point>";
        var edgeguard = sourceProject is null ? "edgeguard"
            : $"dotnet run --project {Path.GetRelativePath(Environment.CurrentDirectory, sourceProject)} --";
        return $"""
            EdgeGuard is running on simulated hardware (site {config.Site.SiteId}, gateway {config.Site.GatewayId}).
              press a panic button:   {edgeguard} sim press {panic} --socket {socket}
              see mode and outputs:   {edgeguard} sim status --socket {socket}
              stop:                   Ctrl+C
            """;
    }
}
