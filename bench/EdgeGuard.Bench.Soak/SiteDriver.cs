using System.Diagnostics;
using EdgeGuard.Simulation;
using EdgeGuard.Testing;

namespace EdgeGuard.Bench.Soak;

/// <summary>
/// What happens to the site during the soak, each on its own task: door contacts opened and closed
/// round-robin at the given rate (over the simulator's control socket, as <c>edgeguard sim</c>
/// does); now and then a guard's panic press followed by the keyswitch clear; the office's broker
/// restarted every so often on the same port with its persistence, as an upgrade of it would.
/// </summary>
internal sealed class SiteDriver(GatewayChild gateway, MosquittoBroker broker, SoakOptions options)
{
    // The shipped site's panic button and the keyswitch that clears its lockdown.
    private const string Panic = "panic-lobby";
    private const string Key = "key-guardroom";

    // Held longer than the keyswitch's 50 ms debounce, so each press is one change.
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(300);

    /// <summary>Door, panic and keyswitch changes set (each is one point change at the gateway).</summary>
    public long EdgesSet => Interlocked.Read(ref _edges);

    public int PanicCycles { get; private set; }

    public int BrokerRestarts { get; private set; }

    private long _edges;

    /// <summary>Drives the site until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(DoorsAsync(cancellationToken), PanicsAsync(cancellationToken), BrokerAsync(cancellationToken));

    private async Task DoorsAsync(CancellationToken cancellationToken)
    {
        await using var sim = await gateway.ControlAsync();
        var open = new bool[gateway.Doors.Count];
        var started = Stopwatch.GetTimestamp();
        for (long n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            // Paced against the start, not the previous change, so a slow reply does not lower the rate.
            var due = TimeSpan.FromSeconds(n / options.Rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero && !await DelayAsync(due, cancellationToken))
            {
                break;
            }

            var door = (int)(n % open.Length);
            open[door] = !open[door];
            await SetAsync(sim, $"{(open[door] ? "open" : "close")} {gateway.Doors[door]}");
        }

        // Every door closed at the end, so the final state is the site at rest.
        for (var door = 0; door < open.Length; door++)
        {
            if (open[door])
            {
                await SetAsync(sim, $"close {gateway.Doors[door]}");
            }
        }
    }

    private async Task PanicsAsync(CancellationToken cancellationToken)
    {
        if (options.PanicEverySeconds == 0)
        {
            return;
        }

        await using var sim = await gateway.ControlAsync();
        while (await DelayAsync(TimeSpan.FromSeconds(options.PanicEverySeconds), cancellationToken))
        {
            // Not cut short by the end of the run: a cycle always ends with the lockdown cleared.
            await SetAsync(sim, $"press {Panic}");
            await Task.Delay(Hold);
            await SetAsync(sim, $"release {Panic}");
            await Task.Delay(TimeSpan.FromSeconds(2));
            await SetAsync(sim, $"press {Key}");
            await Task.Delay(Hold);
            await SetAsync(sim, $"release {Key}");
            PanicCycles++;
        }
    }

    private async Task BrokerAsync(CancellationToken cancellationToken)
    {
        if (options.BrokerRestartEverySeconds == 0)
        {
            return;
        }

        while (await DelayAsync(TimeSpan.FromSeconds(options.BrokerRestartEverySeconds), cancellationToken))
        {
            Console.Error.WriteLine($"[soak] {DateTime.UtcNow:HH:mm:ss} broker restart");
            await broker.StopAsync(graceful: true);
            await Task.Delay(TimeSpan.FromSeconds(3)); // down for a few seconds, whatever the run's end
            await broker.StartAgainAsync();
            BrokerRestarts++;
        }
    }

    private async Task SetAsync(SimulatorClient sim, string line)
    {
        var reply = await sim.SendAsync(line, CancellationToken.None);
        if (!reply.StartsWith("ok", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the simulator refused '{line}': {reply}");
        }

        Interlocked.Increment(ref _edges);
    }

    // False when cancelled instead of waiting out the delay.
    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
