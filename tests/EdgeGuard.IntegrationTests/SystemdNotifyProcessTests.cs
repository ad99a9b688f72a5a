namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The shipped executable (<c>run --simulate</c>) under a pretend systemd: a <c>Type=notify</c> unit with
/// <c>WatchdogSec</c> gives it <c>NOTIFY_SOCKET</c> and <c>WATCHDOG_USEC</c>; it must say READY, keep
/// pinging, report its status and say STOPPING when stopped with SIGTERM.
/// </summary>
public sealed class SystemdNotifyProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ready_then_periodic_watchdog_pings_with_status_then_stopping_on_sigterm()
    {
        using var state = new TempDirectory();
        using var systemd = NotifySocket.InTempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        var env = new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = systemd.Variable,
            ["WATCHDOG_USEC"] = "1000000", // WatchdogSec=1s: a ping every 0.5 s
        };

        var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port, environment: env);
        await using (gateway)
        {
            var ready = await systemd.ReceiveAsync(Patience);
            Assert.StartsWith("READY=1\nSTATUS=mode normal, broker ", ready);

            // Pings keep coming; STATUS rides along whenever it changes (here: once the broker link is up).
            var watch = new Watch(StatusOf(ready));
            await watch.UntilAsync(systemd, w => w.Pings >= 3 && w.Status == "mode normal, broker connected");

            Assert.StartsWith("ok", await gateway.SimAsync("press panic-lobby"));
            await watch.UntilAsync(systemd, w => w.Status == "mode lockdown, broker connected");
        }

        // DisposeAsync sent SIGTERM and waited for the exit.
        await systemd.WaitForAsync("STOPPING=1", Patience);
        Assert.Equal(0, gateway.ExitCode);
    }

    private static string? StatusOf(string datagram) =>
        datagram.Split('\n').FirstOrDefault(a => a.StartsWith("STATUS=", StringComparison.Ordinal))?["STATUS=".Length..];

    /// <summary>Follows the datagrams: how many pings, and the latest status.</summary>
    private sealed class Watch(string? status)
    {
        public int Pings { get; private set; }

        public string? Status { get; private set; } = status;

        public async Task UntilAsync(NotifySocket systemd, Func<Watch, bool> done)
        {
            while (!done(this))
            {
                var datagram = await systemd.ReceiveAsync(Patience);
                Assert.DoesNotContain("READY=1", datagram);
                Pings += datagram.StartsWith("WATCHDOG=1", StringComparison.Ordinal) ? 1 : 0;
                Status = StatusOf(datagram) ?? Status;
            }
        }
    }
}
