using System.Text.Json.Serialization;
using EdgeGuard.Controller;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Simulation;

/// <summary>One output as the simulator reports it.</summary>
/// <param name="Active">Logical demand: locked for a lock, on for everything else.</param>
/// <param name="High">Electrical level on the line.</param>
public sealed record OutputStatus(bool Active, bool High);

/// <summary>A real scenario the running one took over, as the simulator reports it.</summary>
/// <param name="Scenario">Its id from the site's config.</param>
/// <param name="Mode">The mode it puts the site in.</param>
/// <param name="Since">When it started.</param>
public sealed record SuspendedStatus(string Scenario, string Mode, DateTimeOffset Since);

/// <summary>What <c>edgeguard sim status</c> prints: the controller's view, as JSON.</summary>
/// <param name="Mode">The site's mode.</param>
/// <param name="LockdownCause">What started the running scenario, if any.</param>
/// <param name="LockdownPoint">The point that started it, if a point did.</param>
/// <param name="LockdownSince">When it started.</param>
/// <param name="SirenSounding">Whether the siren is meant to sound.</param>
/// <param name="Points">Every point's filtered state.</param>
/// <param name="Outputs">Every output's demand and line level.</param>
public sealed record SimulatorStatus(
    string Mode,
    string? LockdownCause,
    string? LockdownPoint,
    DateTimeOffset? LockdownSince,
    bool SirenSounding,
    IReadOnlyDictionary<string, bool> Points,
    IReadOnlyDictionary<string, OutputStatus> Outputs)
{
    /// <summary>The running scenario's id, if any.</summary>
    public string? Scenario { get; init; }

    /// <summary>Whether the running scenario is a drill.</summary>
    public bool Drill { get; init; }

    /// <summary>
    /// The real scenarios the running one took over or kept under it, lowest rank first: their
    /// locks stay locked, and the last runs again when the running one is ended by its releaser
    /// keyswitch.
    /// </summary>
    public IReadOnlyList<SuspendedStatus> Suspended { get; init; } = [];

    /// <summary>Whether egress is released for a fire (until a keyswitch reset).</summary>
    public bool FireEgressReleased { get; init; }

    /// <summary>The current threat level.</summary>
    public int ThreatLevel { get; init; }

    /// <summary>Points whose chatter is suppressed until they settle.</summary>
    public IReadOnlyList<string> SuppressedPoints { get; init; } = [];

    /// <summary>Points the office bypassed, each with the end of its bypass.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> BypassedPoints { get; init; } = new Dictionary<string, DateTimeOffset>();

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
                StringComparer.Ordinal))
        {
            Scenario = state.Lockdown?.Scenario,
            Drill = state.Lockdown?.Drill ?? false,
            Suspended = [.. state.Suspended.Select(s => new SuspendedStatus(s.Info.Scenario, s.Mode.ToString(), s.Info.Since))],
            FireEgressReleased = state.FireEgressReleased,
            ThreatLevel = state.ThreatLevel,
            SuppressedPoints = snapshot.SuppressedPoints,
            BypassedPoints = state.Bypasses.ToDictionary(b => b.Key, b => b.Value.Grant.Until, StringComparer.Ordinal),
        };
    }
}

/// <summary>Source-generated JSON for the simulator surface (AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(SimulatorStatus))]
internal sealed partial class SimulatorJson : JsonSerializerContext;
