using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using EdgeGuard.WalkTest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Cli;

/// <summary>
/// <c>edgeguard walktest</c>: the technician triggers every input in turn and sees each one arrive through the
/// gateway's own input path; the report names every point never seen. It refuses to start while the gateway
/// runs (both take <see cref="GatewayLock"/>) or when the persisted safety state cannot be read.
/// </summary>
/// <remarks>
/// Outputs: opened once at the boot plan of the persisted safety state — the levels the gateway would
/// drive at boot, so a site left in lockdown stays locked, less the releases and siren time it would end
/// within seconds (<see cref="WalkTestBootPlan"/>) — and never written again. No decision, no siren, no
/// journal entry, no MQTT message: a wiring test must not alarm the office or open a door. It always ends
/// by itself (<see cref="WalkTestDuration"/>): the site is unprotected while it runs.
/// </remarks>
internal static partial class WalkTestVerb
{
    public static Command Create()
    {
        var simulate = new Option<bool>("--simulate") { Description = "Walk-test simulated lines: drive them with `edgeguard sim press|open|loop …` (same --config) from another terminal." };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "End the test after this long (e.g. 90s, 10m, 2h; at most 24h); default: 4h, or sooner on Ctrl+C or once every point was seen.",
            CustomParser = r => ParseDuration(r),
        };
        var command = new Command("walktest", "Walk test: shows every input as it is triggered, then reports the points never seen. Outputs keep their boot state.")
        {
            EdgeGuardCli.ConfigOption, simulate, duration,
        };
        command.SetAction((result, ct) => RunAsync(
            result.GetValue(EdgeGuardCli.ConfigOption), result.GetValue(simulate), result.GetValue(duration),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct,
            arguments: [.. result.Tokens.Select(t => t.Value)]));
        return command;
    }

    private static Action<PosixSignalContext> StopGracefully(CancellationTokenSource stop) => context =>
    {
        context.Cancel = true;
        stop.Cancel();
    };

    // An argument error (exit 1, before anything is touched), never a throw after the lock was taken
    // and the outputs set: no number, infinite, too large for a timer, or over the walk test's cap.
    private static TimeSpan? ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        return Scenario.TryParseDuration(text, out var duration) && WalkTestDuration.Allowed(duration) ? duration
            : Fail(result, $"bad duration '{text}': more than 0 and at most {WalkTestDuration.Format(WalkTestDuration.Max)}, a number with ms, s, m or h (e.g. 90s, 10m, 2h)");
    }

    private static TimeSpan? Fail(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return null;
    }

    /// <summary>Runs a walk test to its end and prints the report; the exit code says whether it passed.</summary>
    /// <param name="path">The configuration file (null: appsettings.json beside the executable).</param>
    /// <param name="simulate">Walk-test simulated lines, driven by <c>edgeguard sim …</c>.</param>
    /// <param name="duration">
    /// Ends the test after this long, at most <see cref="WalkTestDuration.Max"/>; null: after
    /// <see cref="WalkTestDuration.Default"/> (or sooner on Ctrl+C or once every point was seen).
    /// </param>
    /// <param name="output">The technician's screen.</param>
    /// <param name="error">Where refusals and failures to start go.</param>
    /// <param name="ct">Stops the test (its report is still printed).</param>
    /// <param name="configure">
    /// Tests only: changes the hardware composition (a chip without power, a kernel setting) after the
    /// gateway's own registrations, as <see cref="GatewayHost.Build"/> lets the gateway's tests do.
    /// </param>
    /// <param name="arguments">
    /// The arguments as typed after the program, for a refusal's hint to run them again as the
    /// gateway's user; null builds them from <paramref name="path"/> and <paramref name="simulate"/>.
    /// </param>
    public static async Task<int> RunAsync(
        string? path, bool simulate, TimeSpan? duration, TextWriter output, TextWriter error, CancellationToken ct,
        Action<IServiceCollection>? configure = null, IReadOnlyList<string>? arguments = null)
    {
        // Before anything is touched: a length no timer can wait threw only after the outputs were set.
        if (duration is { } asked && !WalkTestDuration.Allowed(asked))
        {
            await error.WriteLineAsync($"edgeguard: cannot walk-test: --duration {WalkTestDuration.Format(asked)} is over the {WalkTestDuration.Format(WalkTestDuration.Max)} limit (or not positive): the site is unprotected while the walk test runs").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        arguments ??= ["walktest", .. path is null ? [] : new[] { "--config", path }, .. simulate ? ["--simulate"] : Array.Empty<string>()];
        if (RunVerbHandler.Load(path, simulate, error, use: ConfigUse.WalkTest) is not { } loaded)
        {
            return ExitCodes.InvalidConfig;
        }

        var config = loaded.Config;
        var directory = config.StateDirectoryPath;
        if (GatewayFilesUser.LeftoverWarning(directory, Path.Combine(directory, JournalDatabase.FileName)) is { } leftovers)
        {
            await error.WriteLineAsync($"edgeguard: warning: {leftovers}").ConfigureAwait(false);
        }

        // Before any hardware is touched: the gateway must not be running on it, and the persisted safety state
        // must be known (a site left in lockdown stays locked), or the walk test does not start.
        GatewayLock? gatewayLock = null;
        GatewayLock? fallbackLock = null;
        SafetyState safety;
        try
        {
            gatewayLock = TakeGatewayLock(config, arguments);
            fallbackLock = TakeFallbackLock(config, simulate);
            safety = PersistedSafetyState(config.StateDirectoryPath, config.Journal.FallbackDirectory, arguments, output);
        }
        catch (Exception ex) when (ex is WalkTestRefusedException or JournalException)
        {
            await error.WriteLineAsync($"edgeguard: cannot walk-test: {ex.Message}").ConfigureAwait(false);
            fallbackLock?.Dispose();
            if (gatewayLock is not null)
            {
                gatewayLock.Dispose();
                WalkTestPrinter.GatewayStopped(output);
            }

            return ExitCodes.Failure;
        }

        try
        {
            return await WalkAsync(config, safety, simulate, duration, output, error, configure, ct).ConfigureAwait(false);
        }
        finally
        {
            fallbackLock?.Dispose();
            gatewayLock.Dispose();
            // Holding the gateway's lock proved the gateway was not running; nothing here starts it again.
            // Whatever the end (passed, Ctrl+C, --duration, SIGHUP, a failure), the last line says so.
            WalkTestPrinter.GatewayStopped(output);
        }
    }

    private static async Task<int> WalkAsync(
        GatewayConfig config, SafetyState safety, bool simulate, TimeSpan? duration, TextWriter output, TextWriter error,
        Action<IServiceCollection>? configure, CancellationToken ct)
    {
        // Ctrl+C, SIGTERM and SIGHUP (the technician's SSH session dropped) end the walk test with its report
        // and exit code, instead of killing the process.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopGracefully(stop));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopGracefully(stop));
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, StopGracefully(stop));
        ct = stop.Token;
        WalkTestPrinter.SafetyWarning(output);
        // Always a limit: a technician who walked away must not leave the site unprotected for good.
        var limit = duration ?? WalkTestDuration.Default;
        WalkTestPrinter.TimeLimit(output, limit, given: duration is not null);
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        // Loop cut or bridged, a chip not answering: onto the technician's screen, not to the office. Opening the
        // outputs reports before the session exists (a chip that does not answer, the kernel's released-outputs
        // setting), and only then: kept until the session takes them.
        var board = new BoardEventsAtStart();
        try
        {
            // Inside the try: it opens the GPIO driver, which refuses a driver or chip the OS does not have (a
            // libgpiod v1 config on Trixie) with a message for the technician, not a stack trace.
            AddHardware(services, config);
            services.AddSingleton(new HardwareFaultReporter(board.Report));
            configure?.Invoke(services);
            await using var provider = services.BuildServiceProvider();
            var time = provider.GetRequiredService<TimeProvider>();
            using var outputs = OpenOutputsAtBootPlan(config, safety, provider, time, output);
            // Simulated lock monitors follow the held outputs and the doors, so a held-locked door's rests active.
            using var monitors = simulate ? provider.GetRequiredService<SimulatedLockMonitors>().Start() : null;
            // The board's supply and temperature, as the gateway checks them: a weak supply found while the
            // technician is on site with it fails the walk test like any hardware fault.
            using var health = provider.GetService<GatewayHealthChecks>();
            if (health is not null)
            {
                await health.StartAsync(ct).ConfigureAwait(false);
            }

            var inputs = provider.GetRequiredService<IInputLines>();
            var loops = provider.GetRequiredService<IReadOnlyList<EolLoopLines>>();
            using var fire = new WalkTestFireRelease(config.Site, WalkTestBootPlan.Held(safety), outputs, time);
            var session = new WalkTestSession(config.Site, inputs, id => loops.Select(l => l.LastReading(id)).FirstOrDefault(r => r is not null), time, output, fire);
            board.HandOver(session.StartWith, session.OnBoardEvents);
            using var control = simulate ? ControlServer(config, provider, session) : null;
            WalkTestEnd end;
            try
            {
                if (control is not null)
                {
                    await control.StartAsync(ct).ConfigureAwait(false);
                }

                end = await session.RunAsync(limit, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // A stop while the control server started (the session's settle time returns this itself).
                end = WalkTestEnd.StoppedBeforeWatching;
                session.TakeQueuedBoardEvents(); // RunAsync never ran to take them
            }

            // The same report whenever the test was stopped: a stop during the settle time lists every point
            // untested and the faults shown at start, so the last line never passes for a clean board.
            new WalkTestPrinter(config.Site, time, output).Report(session.Tally, end);
            if (control is not null)
            {
                await control.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return session.Tally.Passed ? ExitCodes.Ok : ExitCodes.WalkTestIncomplete;
        }
        catch (Exception ex) when (ex is HardwareException or InvalidOperationException or IOException or UnauthorizedAccessException or JournalException)
        {
            // Ended before a session took the board's reports: a dead chip or the kernel setting is still news.
            // Once it took them, they are on the screen already (StartWith).
            if (!board.HandedOver)
            {
                var printer = new WalkTestPrinter(config.Site, TimeProvider.System, output);
                board.HandOver((events, notKept) => printer.BoardAtStart(events, notKept), _ => { });
            }

            await error.WriteLineAsync($"edgeguard: cannot walk-test: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// The gateway's hardware, its driver opened: with <c>--simulate</c> on a real config, a line beyond the simulated
    /// chip's is refused as hardware the driver does not have, not as the bug an argument out of range is elsewhere.
    /// </summary>
    private static void AddHardware(IServiceCollection services, GatewayConfig config)
    {
        try
        {
            services.AddGatewayHardware(config);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new HardwareException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The persisted safety state the gateway's next start would boot in, read-only: the volatile journal's in
    /// the fallback directory when the gateway last ran on it (<see cref="JournalOpener.NextBootState"/>), else
    /// the state directory's. Only the state directory's was read: after a run on the volatile journal (a card
    /// slow or read-only at that start) a lockdown begun there was opened for the whole walk test. A missing
    /// database is a first boot only when the state directory could be listed; when it cannot ("can't tell"),
    /// the walk test refuses rather than guess the site is normal.
    /// </summary>
    private static SafetyState PersistedSafetyState(string directory, string fallbackDirectory, IReadOnlyList<string> arguments, TextWriter output)
    {
        bool exists;
        try
        {
            exists = Directory.EnumerateFiles(directory, JournalDatabase.FileName).Any();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WalkTestRefusedException(
                $"the state directory {directory} cannot be read ({ex.Message}): whether the site was left in lockdown cannot be checked; run as the gateway's user ({GatewayFilesUser.RunAgainAs("edgeguard", arguments)})", ex);
        }

        var fallback = Path.Combine(fallbackDirectory, JournalDatabase.FileName);
        var (state, fromFallback) = JournalOpener.NextBootState(exists ? Path.Combine(directory, JournalDatabase.FileName) : "", fallback);
        if (fromFallback)
        {
            output.WriteLine($"The gateway last ran on its volatile journal {fallback} (the state directory did not answer at that start): its saved safety state is the one held.");
        }

        return state;
    }

    /// <summary>
    /// Opens every output at the level the gateway would drive at boot, less its timed releases and siren time
    /// (<see cref="WalkTestBootPlan"/>), and names on the screen every output held away from its normal state.
    /// Expander chips need this before their inputs work.
    /// </summary>
    private static IOutputLines OpenOutputsAtBootPlan(GatewayConfig config, SafetyState safety, IServiceProvider provider, TimeProvider time, TextWriter output)
    {
        var now = Moment.From(time);
        var plan = WalkTestBootPlan.For(config.Site, safety, now);
        var lines = provider.GetRequiredService<OutputLinesFactory>()(plan.Levels(config.Site));
        new WalkTestPrinter(config.Site, time, output).OutputsNotAtNormal(WalkTestBootPlan.NotAtNormal(config.Site, plan, now));
        return lines;
    }

    /// <summary>In simulate mode, <c>edgeguard sim …</c> with the same config drives the walk test's lines.</summary>
    private static SimulatorControlServer ControlServer(GatewayConfig config, IServiceProvider provider, WalkTestSession session)
    {
        var socket = config.Simulation.ControlSocket;
        if (IsListening(socket))
        {
            // Binding would take the socket away from a running simulated gateway.
            throw new InvalidOperationException($"a simulated gateway is listening on {socket}; stop it first (a walk test runs instead of the gateway)");
        }

        return new SimulatorControlServer(
            socket, config.Site, provider.GetRequiredService<SimulatedGpioDriver>(), session.Watching,
            () => "error: this is a walk test; it prints what it sees on its own terminal",
            provider.GetRequiredService<ILogger<SimulatorControlServer>>(), provider.GetService<SimulatedBoard>());
    }

    private static bool IsListening(string socket)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
