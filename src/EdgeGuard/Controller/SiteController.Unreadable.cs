using System.Collections.Immutable;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// The points the gateway cannot read now, followed from the faults the I/O board and the lines
// report (a fault.hardware naming the points it leaves unread, a loop's fault.eol-tamper) and told
// to the decider, which releases an egress door none of whose exit buttons it can read
// (UnreadableExits). Followed here, on the loop, because those reports reach the gateway nowhere else
// in one order: a restore is always behind the fault it ends.
public sealed partial class SiteController
{
    // Device (mcp23017@0x20, gpio17) -> the points its standing fault leaves unread.
    private readonly Dictionary<string, IReadOnlyList<string>> _unreadableByDevice = new(StringComparer.Ordinal);

    // Loops cut or bridged: a loop's tamper is raised and restored per condition.
    private readonly HashSet<(string Point, LoopTamper Condition)> _tamperedLoops = [];

    /// <summary>
    /// Takes the faults and restores in <paramref name="reported"/>; when the points that cannot be
    /// read change, decides on them (<see cref="PointsUnreadable"/>). That decision changes nothing
    /// persisted, so it is never deferred.
    /// </summary>
    private void FollowUnreadable(IReadOnlyList<DomainEvent> reported, Moment now, List<DomainEvent> events)
    {
        var changed = false;
        for (var i = 0; i < reported.Count; i++)
        {
            changed |= reported[i] switch
            {
                // A fault that names no points (an output refused, an edge put right) leaves the
                // device's unread points as they were: only its restore ends them.
                HardwareFault { Points.Count: > 0 } fault => Set(fault.Device, fault.Points),
                HardwareFaultRestored restored => _unreadableByDevice.Remove(restored.Device),
                EolTamperDetected tamper => _tamperedLoops.Add((tamper.PointId, tamper.Condition)),
                EolTamperRestored restored => _tamperedLoops.Remove((restored.PointId, restored.Condition)),
                _ => false,
            };
        }

        if (!changed)
        {
            return;
        }

        var points = ImmutableSortedSet.CreateRange(StringComparer.Ordinal,
            _unreadableByDevice.Values.SelectMany(p => p).Concat(_tamperedLoops.Select(t => t.Point)));
        if (!points.SetEquals(_state.UnreadablePoints))
        {
            Apply(new PointsUnreadable(points), now, events);
        }
    }

    // Added to what the device's standing fault named: a second fault without a restore between (the
    // boot read's, for a point on a chip already faulted) must not shrink it. Only a restore ends them.
    private bool Set(string device, IReadOnlyList<string> points)
    {
        _unreadableByDevice[device] = _unreadableByDevice.TryGetValue(device, out var before) ? [.. before.Union(points, StringComparer.Ordinal)] : points;
        return true;
    }
}
