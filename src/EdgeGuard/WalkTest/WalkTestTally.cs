using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp3008;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.WalkTest;

/// <summary>
/// What a walk test saw of each point. A point counts as <b>seen</b> once its filtered state went rest, alarm,
/// rest (inactive, active, inactive): the wire, the filter and the configuration (line, active level, pull)
/// all did their part, and the point is back at rest as the gateway needs it.
/// </summary>
/// <remarks>
/// <para>
/// One change is no proof: a point with an inverted active level, or a fail-safe panic cable cut and then
/// reconnected, reads active at rest, and pressing it shows a restore. A point that reads active when the test
/// starts must therefore first be seen at rest, then in alarm, then at rest again.
/// </para>
/// <para>
/// Even then it cannot pass this run (<see cref="ActiveAtStart"/>): a door contact wired NO where the
/// configuration expects NC reads active while the door is closed, and opening, closing and opening it walks
/// rest, alarm, rest all the same. Nothing in the walk tells that apart from a point that was merely in alarm,
/// so only a run that finds it at rest when it starts can pass it.
/// </para>
/// <para>
/// A supervised (end-of-line) loop also reads active when it is cut or bridged, so a change proves only that
/// the cable moved. Its alarm counts only when its alarm band was read while it was active — the detector's
/// own contact with its resistors in place. Any tamper reading (open or short) fails the test: the loop's
/// wiring or resistors are wrong.
/// </para>
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
    /// True when every point was seen, no loop read as cut or bridged, no point chattered and the board reported no
    /// hardware fault (at start or during the test, restored or not), with every event at start kept: the exit
    /// code's pass.
    /// </summary>
    public bool Passed => AllSeen && ActiveAtStart.Count == 0 && LockDisagreedAtStart.Count == 0 && Tampered.Count == 0
        && Chattered.Count == 0 && HardwareFaults.Count == 0 && NotKeptAtStart == 0;

    /// <summary>
    /// Points that chattered (<c>fault.chatter</c> by the site's supervision policy) at any time during the test, in
    /// configuration order. Each fails the test, even once settled: in service the gateway would have raised the
    /// fault and, unless it is a panic or fire input, stopped following the point until it settled.
    /// </summary>
    public IReadOnlyList<PointDefinition> Chattered => [.. site.Points.Where(p => _counts[p.Id].Chatters > 0)];

    /// <summary>
    /// Points that read active when the test started, in configuration order: walked and shown like any other,
    /// but each fails the run, since an inverted one (NO instead of NC, active-low) walks rest, alarm, rest too.
    /// </summary>
    public IReadOnlyList<PointDefinition> ActiveAtStart => [.. site.Points.Where(p => _counts[p.Id] is { ActiveAtStart: true, LockDisagreement: null })];

    /// <summary>
    /// Lock monitors that disagreed at start with the lock the walk test holds, in configuration order: each fails
    /// the run, as a point active at start does. Not holding a locked, closed door is a lock that does not hold
    /// or a monitor wired inverted; holding a released one is a lock stuck engaged or, again, inverted wiring.
    /// Walking either by the door alone would pass the inverted one: it still changes as the door moves.
    /// </summary>
    public IReadOnlyList<PointDefinition> LockDisagreedAtStart => [.. site.Points.Where(p => _counts[p.Id].LockDisagreement is not null)];

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

    /// <summary>
    /// The point's filtered state once the inputs settled, before any change. Active means it must be seen at
    /// rest first: it is in alarm, or its wiring or active level is inverted. Without a call, at rest.
    /// </summary>
    /// <param name="pointId">The point.</param>
    /// <param name="active">Its filtered state at start.</param>
    /// <param name="loop">A supervised loop's band at start (null for other points).</param>
    /// <param name="restActive">
    /// A lock monitor's rest: true while the walk test holds its lock locked on the closed door, false while it
    /// holds it released; null when unknown, and then whatever it reads is taken as its rest. Ignored for
    /// other points.
    /// </param>
    public void Start(string pointId, bool active, LoopState? loop = null, bool? restActive = null)
    {
        var count = _counts[pointId];
        // A lock monitor reads active while its lock holds the door: a lock the walk test holds locked
        // starts active at rest, and walking it (open the door, close it) is active, inactive, active.
        var away = active;
        if (site.Point(pointId).MayRestActive)
        {
            var rest = restActive ?? active;
            count.RestIsActive = rest;
            away = active != rest;
            count.LockDisagreement = !away ? null : rest ? LockCondition.NotEngaged : LockCondition.NotReleased;
        }

        count.ActiveAtStart = away;
        count.Step = away ? WalkStep.NeedsRest : WalkStep.AtRest;
        // Away from rest in the band that walks it: the alarm band, or a monitor's normal band (its lock let go).
        count.AlarmInEpisode = away && loop == (count.RestIsActive ? LoopState.Normal : LoopState.Alarm);
    }

    /// <summary>
    /// A lock monitor whose lock the walk test released during the test (a fire input seen): its rest is now
    /// not holding. One away from its old rest (its door open) stands at the new one.
    /// </summary>
    public void LockReleased(string monitorId)
    {
        var count = _counts[monitorId];
        if (!count.RestIsActive)
        {
            return;
        }

        count.RestIsActive = false;
        if (count.Step == WalkStep.InAlarm)
        {
            count.Step = WalkStep.AtRest;
        }
    }

    /// <summary>Counts a filtered change (with the loop's band as it reads now, for a supervised point).</summary>
    /// <returns>
    /// What the change proved: nothing for a supervised loop that changed on tamper readings only, otherwise
    /// a step towards rest-alarm-rest, the step that completed it (for a point active at start: walked, not
    /// passed), or nothing more for a point seen before.
    /// </returns>
    public WalkChange Changed(string pointId, bool active, LoopState? loop = null)
    {
        var count = _counts[pointId];
        // Only a filtered change that passed through the alarm band, never a raw edge, shows a loop's alarm:
        // the change proves the filter and the configuration, the band that it was the detector, not the cable.
        var alarmBand = count.AlarmSinceLastChange || loop == LoopState.Alarm;
        count.AlarmSinceLastChange = false;
        if (active)
        {
            count.Activations++;
        }
        else
        {
            count.Restores++;
        }

        var wasSeen = count.IsSeen;
        // A monitor whose rest is active (its lock holding) walks inactive then active: the step away
        // from rest must read its normal band (the lock let go), never a cut, and the return proves
        // nothing of itself (its alarm band is rest), or a loop unplugged and plugged back passed.
        var counted = count.RestIsActive
            ? count.Advance(!active, alarmBand: !active && loop == LoopState.Normal)
            : count.Advance(active, alarmBand);
        return !counted ? WalkChange.Tamper
            : wasSeen ? WalkChange.SeenBefore
            : count.IsSeen ? (count.ActiveAtStart ? WalkChange.CompletedActiveAtStart : WalkChange.Completed)
            : count.ActiveAtStart ? WalkChange.StepActiveAtStart : WalkChange.Step;
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

    /// <summary>Counts a point's chatter (<c>fault.chatter</c>) raised by the walk test's supervision of the point.</summary>
    public void Supervision(DomainEvent e)
    {
        if (e is ChatterDetected chatter && _counts.TryGetValue(chatter.PointId, out var count))
        {
            count.Chatters++;
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

        /// <summary>
        /// The point was away from its rest when the test started: read active, or for a lock monitor disagreed
        /// with its lock (<see cref="LockDisagreement"/>).
        /// </summary>
        public bool ActiveAtStart { get; set; }

        /// <summary>How a lock monitor disagreed at start with the lock the walk test holds; null when it agreed, and for other points.</summary>
        public LockCondition? LockDisagreement { get; set; }

        /// <summary>A lock monitor whose lock held the door at start: its rest is active, its walk inactive then active.</summary>
        public bool RestIsActive { get; set; }

        /// <summary>How far it got through rest, alarm, rest.</summary>
        public WalkStep Step { get; set; } = WalkStep.AtRest;

        /// <summary>A supervised loop read its alarm band while active this time (any point that is no loop: unused).</summary>
        public bool AlarmInEpisode { get; set; }

        /// <summary>Some change of this supervised loop came with its alarm band read (always false for other points).</summary>
        public bool AlarmBandRead { get; set; }

        /// <summary>A raw edge read the alarm band since the last filtered change.</summary>
        public bool AlarmSinceLastChange { get; set; }

        public bool IsSeen => Step == WalkStep.Seen;

        public Dictionary<LoopTamper, int> Tampers { get; } = [];

        /// <summary>How many times the point started to chatter.</summary>
        public int Chatters { get; set; }

        /// <summary>Moves along rest, alarm, rest; false when a loop's change came on tamper readings only.</summary>
        public bool Advance(bool active, bool alarmBand)
        {
            AlarmBandRead |= IsLoop && alarmBand;
            if (active)
            {
                // An alarm starts a new episode; a loop's must come with its alarm band, or it is the cable.
                AlarmInEpisode = alarmBand;
                if (Step == WalkStep.AtRest)
                {
                    Step = WalkStep.InAlarm;
                }

                return !IsLoop || alarmBand;
            }

            // A loop's band can reach alarm while it is active already (cut, then the detector's own contact).
            var alarmed = AlarmInEpisode || alarmBand;
            AlarmInEpisode = false;
            var counted = !IsLoop || alarmed;
            Step = Step switch
            {
                WalkStep.NeedsRest => WalkStep.AtRest,
                WalkStep.InAlarm => counted ? WalkStep.Seen : WalkStep.AtRest,
                _ => Step,
            };
            return counted;
        }
    }
}

/// <summary>How far a point got through rest, alarm, rest in a walk test.</summary>
internal enum WalkStep
{
    /// <summary>Read active at start: it must be seen at rest first.</summary>
    NeedsRest,
    /// <summary>Seen at rest: it must be seen in alarm.</summary>
    AtRest,
    /// <summary>Seen in alarm after rest: it must be seen at rest again.</summary>
    InAlarm,
    /// <summary>Seen at rest, in alarm and at rest again.</summary>
    Seen,
}

/// <summary>What one filtered change proved (<see cref="WalkTestTally.Changed"/>).</summary>
internal enum WalkChange
{
    /// <summary>A supervised loop changed on tamper readings, not its alarm band: no proof.</summary>
    Tamper,
    /// <summary>A step towards rest, alarm, rest; not seen yet.</summary>
    Step,
    /// <summary>A step of a point that read active at start: shown, but it cannot pass this run.</summary>
    StepActiveAtStart,
    /// <summary>This change completed rest, alarm, rest: the point is seen.</summary>
    Completed,
    /// <summary>
    /// This change completed rest, alarm, rest of a point that read active at start: walked, but it cannot
    /// pass this run (its wiring may be inverted).
    /// </summary>
    CompletedActiveAtStart,
    /// <summary>The point was seen before.</summary>
    SeenBefore,
}
