using System.Diagnostics;
using System.Text.Json;
using EdgeGuard.Testing;

namespace EdgeGuard.Bench.Soak;

/// <summary>
/// The office's view of the present against the gateway's own: the retained <c>state/lockdown</c>
/// mode and every retained <c>state/points/{point}</c> as a new subscriber gets them from the broker,
/// compared with the simulator's <c>status</c> (the controller's state). After the last broker
/// restart the gateway republished them all, so any difference is a stale or lost state message.
/// </summary>
internal static class StateCheck
{
    // Fields state/lockdown and `sim status` both carry under the same name (the mode's case differs:
    // the status prints the enum's name, the contract lower case).
    private static readonly string[] LockdownFields = ["mode", "scenario", "drill", "sirenSounding", "fireEgressReleased", "threatLevel"];

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    /// <summary>Every difference found, described; empty when the office sees the site as it is.</summary>
    public static async Task<IReadOnlyList<string>> CompareAsync(GatewayChild gateway, int brokerPort)
    {
        await using var sim = await gateway.ControlAsync();
        using var status = JsonDocument.Parse(await sim.SendAsync("status", CancellationToken.None));
        var points = status.RootElement.GetProperty("points").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetBoolean(), StringComparer.Ordinal);

        await using var office = await TestSubscriber.ConnectAsync(brokerPort, gateway.Root + "/state/#", "soak-state-check", persistent: false);
        var lockdownTopic = gateway.Root + "/state/lockdown";
        var pointPrefix = gateway.Root + "/state/points/";
        var waiting = Stopwatch.StartNew();
        // Retained messages come right after the subscription; wait until all are there (or 10 s).
        while (waiting.Elapsed < TimeSpan.FromSeconds(10)
            && office.Receipts.Count(r => r.Retain && (r.Topic == lockdownTopic || r.Topic.StartsWith(pointPrefix, StringComparison.Ordinal))) < points.Count + 1)
        {
            await Task.Delay(50);
        }

        var retained = office.Receipts.Where(r => r.Retain).GroupBy(r => r.Topic).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var differences = new List<string>();
        if (!retained.TryGetValue(lockdownTopic, out var lockdown))
        {
            differences.Add("no retained state/lockdown");
        }
        else
        {
            var shown = lockdown.Json;
            foreach (var field in LockdownFields)
            {
                var gatewaySays = status.RootElement.TryGetProperty(field, out var g) ? Text(g) : "(absent)";
                var officeSees = shown.TryGetProperty(field, out var o) ? Text(o) : "(absent)";
                if (!string.Equals(gatewaySays, officeSees, StringComparison.OrdinalIgnoreCase))
                {
                    differences.Add($"state/lockdown {field} is {officeSees}, the gateway's {gatewaySays}");
                }
            }
        }

        foreach (var (point, active) in points)
        {
            if (!retained.TryGetValue(pointPrefix + point, out var shown))
            {
                differences.Add($"no retained state/points/{point}");
            }
            else if (shown.Json.GetProperty("active").GetBoolean() != active)
            {
                differences.Add($"state/points/{point} says active={!active}, the gateway has {active}");
            }
        }

        return differences;
    }
}
