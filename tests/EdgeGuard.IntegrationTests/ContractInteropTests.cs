using System.Diagnostics;
using EdgeGuard.Simulation;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// Interoperability: what the real executable publishes, read by a client that is not ours
/// (<c>mosquitto_sub</c>) and validated against docs/schemas by the contract tool (Ajv, from npm).
/// </summary>
public sealed class ContractInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_message_of_a_lockdown_and_clear_read_by_mosquitto_sub_matches_the_contract()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        var plain = Path.Combine(state.Path, "capture-v.txt");
        var json = Path.Combine(state.Path, "capture-j.txt");
        using var subV = await MosquittoSubAsync(broker, "capture-v", plain, ["-v"]);
        using var subJ = await MosquittoSubAsync(broker, "capture-j", json, ["-F", "%j"]);

        GatewayProcess ran;
        await using (var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port))
        {
            ran = gateway;
            await using var link = await SimulatorClient.ConnectAsync(gateway.ControlSocket, CancellationToken.None);
            var scenario = Scenario.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "scenarios", "panic-and-clear.scenario")), "panic-and-clear");
            await new ScenarioRunner(link, TimeSpan.FromSeconds(5), TimeProvider.System).RunAsync(scenario, TextWriter.Null, CancellationToken.None);
            var more = Scenario.Parse(
                "open door-lobby\nwait 100ms\nclose door-lobby\nwait 100ms\nexpect point door-lobby inactive\n"
                + "activate fire-panel\nexpect output lock-lobby unlocked\ndeactivate fire-panel\nwait 300ms\nexpect point fire-panel inactive\n"
                + "press key-guardroom\nwait 100ms\nrelease key-guardroom\nwait 100ms\nexpect point key-guardroom inactive",
                "door and fire");
            await new ScenarioRunner(link, TimeSpan.FromSeconds(5), TimeProvider.System).RunAsync(more, TextWriter.Null, CancellationToken.None);
        }

        // An orderly stop ends with the retained offline: after it, both captures are complete.
        const string Offline = "edgeguard/v1/embassy-demo/gw-chancery/availability offline";
        await Eventually.TrueAsync(() => ReadLines(plain).Contains(Offline), Patience, "offline in the mosquitto_sub capture");
        await Eventually.TrueAsync(() => ReadLines(json).Count == ReadLines(plain).Count, Patience, "both captures equally long");
        subV.Kill();
        subJ.Kill();

        var messages = ReadLines(plain);
        output.WriteLine(string.Join('\n', messages));
        // If a message is missing, this tells whether the gateway journaled it (delivery) or not (input).
        output.WriteLine("journaled: " + string.Join(", ", ran.JournaledEvents().Select(e => $"{e.Seq} {e.Type}")));
        output.WriteLine(ran.Output);
        Assert.Contains(messages, m => m.Contains("\"type\":\"lockdown.started\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"type\":\"lockdown.cleared\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"type\":\"fire.alarm\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"type\":\"fire.reset\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"fireEgressReleased\":true", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("edgeguard/v1/embassy-demo/gw-chancery/state/lockdown ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("edgeguard/v1/embassy-demo/gw-chancery/state/points/door-lobby ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("edgeguard/v1/embassy-demo/gw-chancery/state/delivery ", StringComparison.Ordinal));
        foreach (var capture in new[] { plain, json })
        {
            var (exitCode, report) = await Validate(capture);
            output.WriteLine(report);
            Assert.True(exitCode == 0, report);
            Assert.EndsWith($"{messages.Count} passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Captures every message under <c>edgeguard/v1/#</c> (or <paramref name="topics"/>) with <c>mosquitto_sub</c>
    /// in <paramref name="format"/>; returns once the broker has its subscriptions, so nothing sent after is missed.
    /// </summary>
    internal static async Task<Process> MosquittoSubAsync(MosquittoBroker broker, string clientId, string capture, string[] format, params string[] topics)
    {
        var port = broker.Port;
        var start = new ProcessStartInfo("mosquitto_sub")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv5", "-q", "1", "-i", clientId }
            .Concat((topics.Length == 0 ? ["edgeguard/v1/#"] : topics).SelectMany(t => new[] { "-t", t })).Concat(format))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var writer = new StreamWriter(capture) { AutoFlush = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (writer)
                {
                    writer.WriteLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => writer.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        try
        {
            await broker.WaitForSubscriptionAsync(clientId, topics.Length == 0 ? 1 : topics.Length, TimeSpan.FromSeconds(15));
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }

        return process;
    }

    internal static List<string> ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Runs tools/contract/validate-messages.mjs (installed by ./test.sh) on a capture.</summary>
    internal static Task<(int ExitCode, string Report)> Validate(string capture) =>
        ContractTool.ValidateAsync(capture, "--check-seq", "--known-types");
}
