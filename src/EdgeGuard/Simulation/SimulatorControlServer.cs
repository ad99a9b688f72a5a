using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Mqtt.Files;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Simulation;

/// <summary>
/// Lets people and scripts drive a simulated gateway (or walk test) from outside the process over a local
/// Unix socket (one text command per line, one reply per line). Runs whenever the hardware driver is
/// simulated (<c>--simulate</c>, or <c>hardware.driver: simulated</c> in the configuration), never
/// with real GPIO.
/// </summary>
/// <param name="socketPath">Where the socket is bound.</param>
/// <param name="site">The points that can be set.</param>
/// <param name="driver">The simulated GPIO chip.</param>
/// <param name="ready">Completes when the lines may be driven (the socket is bound only then).</param>
/// <param name="status">The reply to <c>status</c>: one line of JSON, or <c>error: …</c>.</param>
/// <param name="log">Where the socket's path is logged.</param>
/// <param name="board">The simulated I/O board, if the site has one.</param>
public sealed partial class SimulatorControlServer(
    string socketPath,
    SiteDefinition site,
    SimulatedGpioDriver driver,
    Task ready,
    Func<string> status,
    ILogger<SimulatorControlServer> log,
    SimulatedBoard? board = null) : BackgroundService
{
    /// <summary>A control server for the gateway: <c>status</c> answers with the controller's view.</summary>
    public SimulatorControlServer(string socketPath, SiteDefinition site, SimulatedGpioDriver driver, SiteController controller,
        ILogger<SimulatorControlServer> log, SimulatedBoard? board = null)
        : this(socketPath, site, driver, controller.Booted, () => StatusOf(site, controller), log, board)
    {
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        // Another simulated gateway or walk test answering there keeps its socket: taken over, every
        // `edgeguard sim` line would drive this process's lines instead, and the file deleted with
        // this process left that one with no way to be driven at all.
        if (await AnswersAsync(socketPath, stoppingToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"another simulated gateway or walk test is listening on {socketPath}; stop it, or give this one another socket (EdgeGuard:simulation:controlSocket)");
        }

        File.Delete(socketPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(socketPath))!);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        // Bound under a temporary name and renamed once listening: whoever sees the socket file
        // (a script, `edgeguard sim`, a test) can connect at once, never between bind and listen.
        var binding = socketPath + "~";
        File.Delete(binding);
        listener.Bind(new UnixDomainSocketEndPoint(binding));
        listener.Listen(8);
        File.Move(binding, socketPath, overwrite: true);
        var bound = Identity(socketPath);
        LogListening(socketPath);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Only this server's own file: one put there since (a restarted gateway) is not ours.
            if (bound is not null && Identity(socketPath) == bound)
            {
                File.Delete(socketPath);
            }
        }
    }

    private static LinuxFile.FileIdentity? Identity(string path) => OperatingSystem.IsLinux() ? LinuxFile.Identity(path) : null;

    // A stale file (its process gone) refuses the connection; a live server accepts it.
    private static async Task<bool> AnswersAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Executes one protocol line and returns the reply line.</summary>
    public string Execute(string line)
    {
        if (!SimulatorCommand.TryParse(line, out var command, out var error))
        {
            return $"error: {error}";
        }

        if (command!.PointId is null)
        {
            return status();
        }

        var point = site.FindPoint(command.PointId);
        if (point is null)
        {
            return $"error: unknown point '{command.PointId}'; known points: {string.Join(", ", site.Points.Select(p => p.Id))}";
        }

        if (command.Loop is { } condition)
        {
            return board?.SetLoop(point, SimulatedBoard.LoopConditions[condition]) is { } problem
                ? $"error: {problem}"
                : board is null ? $"error: point '{point.Id}' is not a supervised loop" : $"ok loop {point.Id} {condition}";
        }

        if (command.Verb == "pulse")
        {
            for (var i = 0; i < command.Count; i++)
            {
                Set(point, true);
                Set(point, false);
            }

            return $"ok pulse {point.Id} {command.Count}";
        }

        Set(point, command.Active);
        return $"ok {command.Verb} {point.Id}";
    }

    private static string StatusOf(SiteDefinition site, SiteController controller) =>
        controller.Snapshot is { } snapshot
            ? JsonSerializer.Serialize(SimulatorStatus.From(site, snapshot), SimulatorJson.Default.SimulatorStatus)
            : "error: gateway still booting";

    /// <summary>Sets a point's line wherever it is: native, expander pin or supervised loop.</summary>
    private void Set(PointDefinition point, bool active)
    {
        if (board is not null)
        {
            board.Set(point, active);
        }
        else
        {
            driver.SetInputLevel(point.Line, point.LevelFor(active));
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                await writer.WriteLineAsync(Execute(line)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            // A client that goes away mid-line is not the gateway's problem.
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Simulator control socket at {Path}: try `edgeguard sim press <point> --socket {Path}` (from a source checkout: `dotnet run --project src/EdgeGuard -- sim press <point> --socket {Path}`)")]
    private partial void LogListening(string path);
}
