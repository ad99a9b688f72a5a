using System.Text.Json.Serialization;
using EdgeGuard.Controller;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Simulation;

/// <summary>One output as the simulator reports it.</summary>
/// <param name="Active">Logical demand: locked for a lock, on for everything else.</param>
/// <param name="High">Electrical level on the line.</param>
public sealed record OutputStatus(bool Active, bool High);

/// <summary>What <c>edgeguard sim status</c> prints: the controller's view, as JSON.</summary>
public sealed record SimulatorStatus(
    string Mode,
    string? LockdownCause,
    string? LockdownPoint,
    DateTimeOffset? LockdownSince,
    bool SirenSounding,
    IReadOnlyDictionary<string, bool> Points,
    IReadOnlyDictionary<string, OutputStatus> Outputs)
{
    /// <summary>Builds the status from a controller snapshot.</summary>
    public static SimulatorStatus From(SiteDefinition site, SiteSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(snapshot);
        var state = snapshot.State;
        return new SimulatorStatus(
            state.Mode.ToString(),
            state.Lockdown?.Cause,
            state.Lockdown?.Point,
            state.Lockdown?.Since,
            state.SirenSounding,
            state.Points,
            site.Outputs.ToDictionary(
                o => o.Id,
                o => new OutputStatus(snapshot.Plan.IsActive(o.Id), snapshot.OutputLevels.GetValueOrDefault(o.Id)),
                StringComparer.Ordinal));
    }
}

/// <summary>Source-generated JSON for the simulator surface (AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(SimulatorStatus))]
internal sealed partial class SimulatorJson : JsonSerializerContext;
