using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeGuard.Configuration;
using EdgeGuard.Mqtt.Files;
using EdgeGuard.Simulation;

namespace EdgeGuard.Cli;

/// <summary>
/// <c>edgeguard sim …</c>: drives a gateway started with <c>run --simulate</c> from another
/// terminal or script, through its control socket.
/// </summary>
internal static class SimVerbs
{
    // A scenario is a few dozen lines; a file past this is a wrong path (a log, a disk image).
    private const int ScenarioMaxBytes = 1024 * 1024;

    private static readonly Option<string?> SocketOption = new("--socket", "-s")
    {
        Description = "Control socket of the simulated gateway (default: simulation.controlSocket from --config).",
    };

    private const int MaxExpectSeconds = 3600;

    private static readonly Option<double> TimeoutOption = ExpectTimeout();

    // Refused on the command line with the usage error (exit 1), as README says of bad arguments:
    // NaN, Infinity or 1e400 threw out of TimeSpan.FromSeconds (a pulse count of 0, below, reached
    // the gateway, which refused it: exit 3).
    private static Option<double> ExpectTimeout()
    {
        var option = new Option<double>("--expect-timeout")
        {
            Description = "Seconds an `expect` step may take to come true.",
            DefaultValueFactory = _ => 3,
        };
        option.Validators.Add(result =>
        {
            // From the token: text that is no number is the parser's error, and GetValueOrDefault
            // throws on it (dotnet/command-line-api#2645).
            if (result.Tokens is [{ Value: var text }]
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxExpectSeconds))
            {
                result.AddError($"--expect-timeout must be a number of seconds above 0 and at most {MaxExpectSeconds}");
            }
        });
        return option;
    }

    public static Command Create()
    {
        var sim = new Command("sim", "Drive a simulated gateway (started with `edgeguard run --simulate`).");
        foreach (var verb in SimulatorCommand.PointVerbs.Keys)
        {
            var point = new Argument<string>("point") { Description = "Point id, e.g. panic-lobby." };
            var command = new Command(verb, $"{verb} a point as a person would.") { point, SocketOption, EdgeGuardCli.ConfigOption };
            command.SetAction((result, ct) => SendAsync(result, $"{verb} {result.GetValue(point)}", ct));
            sim.Subcommands.Add(command);
        }

        // The README's `sim loop` and `sim pulse`: the protocol had them, the command line did not.
        var loopPoint = new Argument<string>("point") { Description = "A supervised loop's point id, e.g. fence-east." };
        var condition = new Argument<string>("condition") { Description = "normal, alarm, open (cut) or short (bridged)." };
        condition.AcceptOnlyFromAmong([.. SimulatedBoard.LoopConditions.Keys]);
        var loop = new Command("loop", "Put a simulated end-of-line loop's reading in a band.") { loopPoint, condition, SocketOption, EdgeGuardCli.ConfigOption };
        loop.SetAction((result, ct) => SendAsync(result, $"loop {result.GetValue(loopPoint)} {result.GetValue(condition)}", ct));
        sim.Subcommands.Add(loop);

        var pulsePoint = new Argument<string>("point") { Description = "Point id." };
        var count = new Argument<int>("count") { Description = $"How many times (1..{SimulatorCommand.MaxPulses})." };
        count.Validators.Add(result =>
        {
            if (result.Tokens is [{ Value: var text }]
                && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var times)
                && times is < 1 or > SimulatorCommand.MaxPulses)
            {
                result.AddError($"count must be 1..{SimulatorCommand.MaxPulses}");
            }
        });
        var pulse = new Command("pulse", "Activate and restore a point N times as fast as possible.") { pulsePoint, count, SocketOption, EdgeGuardCli.ConfigOption };
        pulse.SetAction((result, ct) => SendAsync(result, $"pulse {result.GetValue(pulsePoint)} {result.GetValue(count)}", ct));
        sim.Subcommands.Add(pulse);

        var status = new Command("status", "Print the gateway's mode, points and outputs as JSON.") { SocketOption, EdgeGuardCli.ConfigOption };
        status.SetAction((result, ct) => SendAsync(result, "status", ct));
        sim.Subcommands.Add(status);

        var file = new Argument<FileInfo>("file") { Description = "Scenario file: press/release/open/close/wait/expect, one per line." };
        var scenario = new Command("scenario", "Play a scenario file against the simulated gateway.") { file, SocketOption, EdgeGuardCli.ConfigOption, TimeoutOption };
        scenario.SetAction((result, ct) => PlayAsync(result, result.GetValue(file)!, ct));
        sim.Subcommands.Add(scenario);
        return sim;
    }

    private static async Task<int> SendAsync(ParseResult result, string line, CancellationToken ct)
    {
        try
        {
            var client = await ConnectAsync(result, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var reply = await client.SendAsync(line, ct).ConfigureAwait(false);
                var failed = reply.StartsWith("error", StringComparison.Ordinal);
                await (failed ? result.InvocationConfiguration.Error : result.InvocationConfiguration.Output).WriteLineAsync(reply).ConfigureAwait(false);
                return failed ? ExitCodes.ScenarioFailed : ExitCodes.Ok;
            }
        }
        catch (IOException ex)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.ScenarioFailed;
        }
    }

    private static async Task<int> PlayAsync(ParseResult result, FileInfo file, CancellationToken ct)
    {
        try
        {
            // Read as the gateway reads its files (BoundedFile): a pipe given as the file (a wrong
            // path) waited for ever in open(2), /dev/zero filled the memory.
            if (BoundedFile.TryRead(file.FullName, "scenario file", ScenarioMaxBytes, out var text) is { } unreadable)
            {
                throw new IOException(unreadable);
            }

            // A reader, as File.ReadAllText was: a byte order mark from an editor is dropped.
            using var reader = new StreamReader(new MemoryStream(text), Encoding.UTF8);
            var scenario = Scenario.Parse(await reader.ReadToEndAsync(ct).ConfigureAwait(false), file.Name);
            var client = await ConnectAsync(result, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var runner = new ScenarioRunner(client, TimeSpan.FromSeconds(result.GetValue(TimeoutOption)), TimeProvider.System);
                await runner.RunAsync(scenario, result.InvocationConfiguration.Output, ct).ConfigureAwait(false);
            }

            await result.InvocationConfiguration.Output.WriteLineAsync($"scenario {file.Name}: passed").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or FormatException or ScenarioFailedException)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync($"scenario {file.Name}: FAILED\n{ex.Message}").ConfigureAwait(false);
            return ExitCodes.ScenarioFailed;
        }
    }

    private static Task<SimulatorClient> ConnectAsync(ParseResult result, CancellationToken ct)
    {
        var socket = result.GetValue(SocketOption)
            ?? RunVerbHandler.Load(result.GetValue(EdgeGuardCli.ConfigOption), simulate: true, result.InvocationConfiguration.Error, use: ConfigUse.Paths)?.Config.Simulation.ControlSocket
            ?? throw new IOException("No control socket: pass --socket, or a valid --config.");
        return SimulatorClient.ConnectAsync(socket, ct);
    }
}
