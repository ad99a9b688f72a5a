using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp3008;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.WalkTest;

/// <summary>
/// What a walk test saw of each point. A point counts as <b>seen</b> once its filtered state changed: the
/// wire, the filter and the configuration (line, active level, pull) all did their part. A point that only
/// read active from the start proves nothing and is not seen until it changes.
/// </summary>
/// <remarks>
/// A supervised (end-of-line) loop also reads active when it is cut or bridged, so a change proves only that
/// the cable moved. It is seen once its alarm band was read — the detector's own contact with its resistors
/// in place. Any tamper reading (open or short) fails the test: the loop's wiring or resistors are wrong.
/// </remarks>
internal sealed class WalkTestTally(SiteDefinition site)
{
    private readonly Dictionary<string, PointCount> _counts = site.Points.ToDictionary(
        p => p.Id, p => new PointCount(Mcp3008ChannelAddress.IsAdcName(p.LineAddress)), StringComparer.Ordinal);

    /// <summary>How many points were seen.</summary>
    public int Seen => _counts.Values.Count(c => c.IsSeen);

    /// <summary>True once every point was seen.</summary>
    public bool AllSeen => _counts.Values.All(c => c.IsSeen);

    /// <summary>
    /// True when every point was seen, no loop read as cut or bridged and the board reported no hardware fault (at
    /// start or during the test, restored or not), with every event at start kept: the exit code's pass.
    /// </summary>
    public bool Passed => AllSeen && Tampered.Count == 0 && HardwareFaults.Count == 0 && NotKeptAtStart == 0;

    /// <summary>
    /// Every <c>fault.hardware</c> the board reported, in order: a chip that did not answer, a kernel that drops
    /// released outputs, a native line that lost edges. Each is critical (the gateway is, or was, partly blind, or
    /// its relays drop at a restart), so each fails the test, even once restored: the next boot may meet it again.
    /// </summary>
    public IReadOnlyList<HardwareFaultSeen> HardwareFaults => _faults;

    /// <summary>
    /// Board events reported before the test started beyond those kept (<see cref="BoardEventsAtStart"/>).
    /// </summary>
    /// <remarks>What they were is unknown, so any fails the test.</remarks>
    public int NotKeptAtStart { get; set; }

    private readonly List<HardwareFaultSeen> _faults = [];

    /// <summary>Points never seen, in configuration order.</summary>
    public IReadOnlyList<PointDefinition> NotSeen => [.. site.Points.Where(p => !_counts[p.Id].IsSeen)];

    /// <summary>Supervised points that read open or short at any time during the test, in configuration order.</summary>
    public IReadOnlyList<PointDefinition> Tampered => [.. site.Points.Where(p => _counts[p.Id].Tampers.Count > 0)];

    /// <summary>The counts of one point.</summary>
    public PointCount Of(string pointId) => _counts[pointId];

    /// <summary>A supervised loop's band as read with one of its raw edges; the alarm band makes its next filtered change count.</summary>
    public void LoopRead(string pointId, LoopState? state)
    {
        if (state == LoopState.Alarm && _counts.TryGetValue(pointId, out var count))
        {
            count.AlarmSinceLastChange = true;
        }
    }

    /// <summary>Counts a filtered change (with the loop's band as it reads now, for a supervised point).</summary>
    /// <returns>True when the point is seen (now or before).</returns>
    public bool Changed(string pointId, bool active, LoopState? loop = null)
    {
        var count = _counts[pointId];
        // Seen only at a filtered change that passed through the alarm band, never at a raw edge: the change is
        // what proves the filter and the configuration, the band that it was the detector and not the cable.
        count.AlarmBandRead |= count.AlarmSinceLastChange || loop == LoopState.Alarm;
        count.AlarmSinceLastChange = false;
        if (active)
        {
            count.Activations++;
        }
        else
        {
            count.Restores++;
        }

        return count.IsSeen;
    }

    /// <summary>Counts a loop found cut or bridged, and records a hardware fault raised or restored.</summary>
    /// <param name="e">The board's event.</param>
    /// <param name="atStart">True when it was reported while the lines were opened, before the test started.</param>
    public void Board(DomainEvent e, bool atStart)
    {
        switch (e)
        {
            case EolTamperDetected tamper when _counts.TryGetValue(tamper.PointId, out var count):
                count.Tampers[tamper.Condition] = count.Tampers.GetValueOrDefault(tamper.Condition) + 1;
                break;
            case HardwareFault fault:
                _faults.Add(new HardwareFaultSeen(fault.Device, fault.Reason, atStart));
                break;
            // A restore names only the device; that is enough, since every source names the unit it watches
            // and raises one fault per episode for it: a chip (mcp23017@0x20, mcp3008@0.0), a native line
            // (gpio17, its point is in the reason), the kernel check's chip (gpiochip0, never restored).
            case HardwareFaultRestored restored when _faults.LastOrDefault(f => f.Device == restored.Device && !f.Restored) is { } open:
                open.Restored = true;
                break;
        }
    }

    /// <summary>A <c>fault.hardware</c> the board reported.</summary>
    /// <param name="device">
    /// The chip or line: <c>mcp23017@0x20</c>, <c>mcp3008@0.0</c>, <c>gpio17</c> for native line 17, <c>gpiochip0</c>
    /// for the kernel check of the chip's released outputs.
    /// </param>
    /// <param name="reason">What is wrong, as reported.</param>
    /// <param name="atStart">Reported while the lines were opened, before the test started.</param>
    internal sealed class HardwareFaultSeen(string device, string reason, bool atStart)
    {
        public string Device { get; } = device;

        public string Reason { get; } = reason;

        public bool AtStart { get; } = atStart;

        /// <summary>A <c>fault.hardware-restored</c> for the same device (chip, or native line) followed it.</summary>
        public bool Restored { get; set; }
    }

    /// <summary>Counts for one point.</summary>
    /// <param name="isLoop">True for a supervised (end-of-line) loop.</param>
    internal sealed class PointCount(bool isLoop)
    {
        public bool IsLoop { get; } = isLoop;

        public int Activations { get; set; }

        public int Restores { get; set; }

        public int Changes => Activations + Restores;

        /// <summary>A filtered change of this supervised loop came with its alarm band read (always false for other points).</summary>
        public bool AlarmBandRead { get; set; }

        /// <summary>A raw edge read the alarm band since the last filtered change.</summary>
        public bool AlarmSinceLastChange { get; set; }

        public bool IsSeen => Changes > 0 && (!IsLoop || AlarmBandRead);

        public Dictionary<LoopTamper, int> Tampers { get; } = [];
    }
}
