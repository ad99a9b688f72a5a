using System.Globalization;
using EdgeGuard.Cli;
using EdgeGuard.Hosting;
using EdgeGuard.Hosting.Systemd;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// A gateway started under systemd while a walk test holds the gateway lock keeps its start alive: it waited
/// without a word, so every 93 s its start timed out (TimeoutStartSec=90s) and was restarted, and the 20th
/// start in an hour hit StartLimitBurst=20 with StartLimitAction=reboot, rebooting the Pi under the technician.
/// </summary>
public sealed class GatewayLockSystemdTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("eg-lock-sd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Waiting_for_a_walk_test_extends_the_start_timeout_says_why_and_is_ready_once_it_ends()
    {
        using var systemd = NotifySocket.InTempDirectory();
        var held = GatewayLock.Acquire(_dir); // the walk test
        using var stop = new CancellationTokenSource();
        var environment = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = systemd.Variable };

        var run = RunVerbHandler.RunAsync(WriteConfig(), simulate: true, TextWriter.Null, TextWriter.Null, stop.Token, environment.GetValueOrDefault);
        try
        {
            // Each before the extension before it runs out (systemd would then kill the start), and again
            // while it still waits: each extension outlasts the next retry. Not within two retry
            // intervals: the first comes after the config's load, seconds on a loaded host.
            for (var i = 0; i < 2; i++)
            {
                var waiting = Assignments(await systemd.ReceiveAsync(LockWaitNotices.WaitingExtension));
                var extend = long.Parse(waiting["EXTEND_TIMEOUT_USEC"], NumberStyles.None, CultureInfo.InvariantCulture);
                Assert.True(TimeSpan.FromMicroseconds(extend) > GatewayLock.RetryInterval, $"{extend} µs outlasts a retry");
                Assert.Contains("waiting for the walk test to end", waiting["STATUS"], StringComparison.Ordinal);
                Assert.DoesNotContain("READY", waiting.Keys);
            }

            held.Dispose();
            var ready = await systemd.WaitForAsync("READY=1", Patience);
            Assert.DoesNotContain("walk test", Assignments(ready)["STATUS"], StringComparison.Ordinal);
        }
        finally
        {
            held.Dispose();
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Ok, await run.WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task Without_systemd_waiting_for_a_walk_test_sends_nothing()
    {
        using var systemd = NotifySocket.InTempDirectory(); // bound, but not named to the gateway
        using var held = GatewayLock.Acquire(_dir);
        using var stop = new CancellationTokenSource();
        using var error = new StringWriter();

        var run = RunVerbHandler.RunAsync(WriteConfig(), simulate: true, TextWriter.Null, error, stop.Token, _ => null);
        await Eventually.TrueAsync(() => error.ToString().Contains("waiting", StringComparison.Ordinal), Patience, "the waiting message");
        await Task.Delay(GatewayLock.RetryInterval * 2);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Ok, await run.WaitAsync(Patience));
        Assert.Equal(0, systemd.Available);
    }

    [Fact]
    public void The_start_budget_after_the_wait_is_the_units_start_timeout()
    {
        Assert.Equal(SystemdUnit.Duration(SystemdUnit.Text(), "TimeoutStartSec"), LockWaitNotices.StartBudget);
    }

    // One sd_notify datagram's assignments, by name.
    private static Dictionary<string, string> Assignments(string datagram) => datagram.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1], StringComparer.Ordinal);

    // A simulated gateway on its own state directory, control socket and embedded broker port.
    private string WriteConfig()
    {
        var path = Path.Combine(_dir, "gw.json");
        File.WriteAllText(path, $$"""
            { "EdgeGuard": { "site": "s", "gateway": "g", "stateDirectory": "{{_dir}}",
              "simulation": { "controlSocket": "{{Path.Combine(_dir, "sim.sock")}}" },
              "mqtt": { "port": {{MosquittoBroker.FreePort()}} },
              "zones": [ { "id": "z", "name": "Z" } ],
              "points": [ { "id": "p", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" },
                          { "id": "k", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "z" } ],
              "outputs": [ { "id": "s", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "z" },
                           { "id": "l", "kind": "lock", "line": 13, "activeLevel": "high", "zone": "z", "failMode": "failSecure" } ],
              "lockdown": { "clearKeyswitches": [ "k" ] } } }
            """);
        return path;
    }
}
