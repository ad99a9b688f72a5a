using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

/// <summary>A consistent, immutable view of the controller for status displays and the simulator.</summary>
/// <param name="State">The site state after the last decision.</param>
/// <param name="Plan">The output plan derived from it.</param>
/// <param name="OutputLevels">The electrical level every output line shows: read back, for an expander pin what its writer achieved (not what was queued).</param>
/// <param name="Decisions">How many inputs the controller has decided since boot.</param>
public sealed record SiteSnapshot(SiteState State, OutputPlan Plan, IReadOnlyDictionary<string, bool> OutputLevels, long Decisions)
{
    /// <summary>Points suppressed for chatter: their changes do not reach the decider until they settle.</summary>
    public IReadOnlyList<string> SuppressedPoints { get; init; } = [];
}
