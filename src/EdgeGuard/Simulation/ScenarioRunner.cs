using System.Text.Json;

namespace EdgeGuard.Simulation;

/// <summary>A scenario step did not hold; the message names the file, line and what was seen.</summary>
public sealed class ScenarioFailedException(string message) : Exception(message);

/// <summary>Plays a <see cref="Scenario"/> against a simulated gateway.</summary>
/// <param name="link">Where commands go.</param>
/// <param name="expectTimeout">How long an expectation may take to come true (outputs follow inputs after debounce).</param>
/// <param name="time">Clock for waits and polling.</param>
public sealed class ScenarioRunner(ISimulatorLink link, TimeSpan expectTimeout, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Runs every step in order; writes one line per step to <paramref name="progress"/>.</summary>
    public async Task RunAsync(Scenario scenario, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(progress);
        var timeout = expectTimeout;
        foreach (var step in scenario.Steps)
        {
            switch (step)
            {
                case SendStep send:
                    var reply = await link.SendAsync(send.Command, cancellationToken).ConfigureAwait(false);
                    if (reply.StartsWith("error", StringComparison.Ordinal))
                    {
                        throw new ScenarioFailedException($"{scenario.Source}:{step.Line}: '{send.Command}' failed: {reply}");
                    }

                    await progress.WriteLineAsync($"{step.Line}: {reply}").ConfigureAwait(false);
                    break;
                case WaitStep wait:
                    await Task.Delay(wait.Duration, time, cancellationToken).ConfigureAwait(false);
                    break;
                case ExpectTimeoutStep set:
                    // The longer of the two: the file knows what its gateway needs, the person running it
                    // may know the machine is slow.
                    timeout = set.Timeout > expectTimeout ? set.Timeout : expectTimeout;
                    await progress.WriteLineAsync($"{step.Line}: expect timeout {timeout.TotalSeconds:0.#}s").ConfigureAwait(false);
                    break;
                case ExpectStep expect:
                    await ExpectAsync(scenario.Source, expect, timeout, cancellationToken).ConfigureAwait(false);
                    await progress.WriteLineAsync($"{step.Line}: ok expect {expect.Subject} {expect.Id ?? expect.Mode}").ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task ExpectAsync(string source, ExpectStep expect, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var status = await StatusAsync(ct).ConfigureAwait(false);
            var (holds, observed) = Check(expect, status);
            if (holds)
            {
                return;
            }

            if (time.GetTimestamp() >= deadline)
            {
                // A mode expectation has no id: "expected mode lockdown", not "expected mode  lockdown".
                var wanted = expect.Mode ?? $"{expect.Id} {(expect.Active == true ? "active" : "inactive")}";
                throw new ScenarioFailedException(
                    $"{source}:{expect.Line}: expected {expect.Subject} {wanted} within {timeout.TotalSeconds:0.#}s, saw {observed}"
                    + Withheld(expect, status));
            }

            await Task.Delay(PollInterval, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The points withheld for chatter when an expectation failed, the awaited one first, or "".
    /// A withheld point keeps its last state and decides nothing (a key turned does not clear), so
    /// a file played again within the chatter window fails on the gateway's supervision, not on
    /// the file: the failure says so rather than leave the user hunting in the scenario.
    /// </summary>
    private static string Withheld(ExpectStep expect, SimulatorStatus status)
    {
        if (status.SuppressedPoints.Count == 0)
        {
            return "";
        }

        var points = status.SuppressedPoints.OrderBy(p => p == expect.Id ? 0 : 1).ThenBy(p => p, StringComparer.Ordinal).ToList();
        return points.Count == 1
            ? $"; {points[0]} is withheld for chatter until it settles (fault.chatter)"
            : $"; {string.Join(", ", points)} are withheld for chatter until they settle (fault.chatter)";
    }

    private async Task<SimulatorStatus> StatusAsync(CancellationToken ct)
    {
        var reply = await link.SendAsync("status", ct).ConfigureAwait(false);
        return reply.StartsWith('{')
            ? JsonSerializer.Deserialize(reply, SimulatorJson.Default.SimulatorStatus)!
            : throw new ScenarioFailedException($"status failed: {reply}");
    }

    private static (bool Holds, string Observed) Check(ExpectStep expect, SimulatorStatus status) => expect.Subject switch
    {
        "mode" => (string.Equals(status.Mode, expect.Mode, StringComparison.OrdinalIgnoreCase), $"mode {status.Mode}"),
        "output" => status.Outputs.TryGetValue(expect.Id!, out var output)
            ? (output.Active == expect.Active, $"output {expect.Id} {(output.Active ? "active" : "inactive")} (line {(output.High ? "high" : "low")})")
            : (false, $"no output '{expect.Id}'"),
        _ => status.Points.TryGetValue(expect.Id!, out var active)
            ? (active == expect.Active, $"point {expect.Id} {(active ? "active" : "inactive")}")
            : (false, $"no point '{expect.Id}'"),
    };
}
