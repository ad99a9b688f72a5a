using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.WalkTest;

/// <summary>
/// The walk test's screen: one line per point change as it is seen, one per board fault, and the final
/// report. Lines start with a fixed word (<c>seen</c>, <c>fault</c>, <c>NOT SEEN</c>, <c>CHATTER</c>, <c>HARDWARE</c>) so scripts can
/// grep them.
/// </summary>
internal sealed class WalkTestPrinter(SiteDefinition site, TimeProvider time, TextWriter output)
{
    private readonly Dictionary<string, string> _zoneNames = site.Zones.ToDictionary(z => z.Id, z => z.Name, StringComparer.Ordinal);
    private readonly int _width = site.Points.Count == 0 ? 0 : site.Points.Max(p => p.Id.Length);

    /// <summary>
    /// The people-safety warning, before any line is opened: while the walk test runs, the gateway is not
    /// running and nothing protects the site or the people in it.
    /// </summary>
    public static void SafetyWarning(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("""
            WARNING: while the walk test runs this site is NOT PROTECTED by the gateway:
              - no lockdown, no alarm, nothing is reported to the security office;
              - a fire input seen active releases the egress locks (and drives the rest of the fire plan, such as strobes),
                held until the walk test ends; nothing else does: exit buttons do NOT release their doors, so keep
                every locked escape door staffed or released by hand;
              - other outputs (locks, sirens, strobes) stay at their boot state and react to nothing else.
            Tell the security office before you start and when you finish.
            """);
        output.Flush();
    }

    /// <summary>The walk test's last line: the gateway is not running, and nothing protects the site until it does.</summary>
    public static void GatewayStopped(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(GatewayStoppedLine);
        output.Flush();
    }

    /// <summary>The line <see cref="GatewayStopped"/> prints.</summary>
    internal const string GatewayStoppedLine =
        "GATEWAY STOPPED: the gateway is not running and this site is NOT PROTECTED; start it: systemctl start edgeguard";

    /// <summary>
    /// The header, once the lines are open and before the inputs start: the board's faults at start follow it,
    /// so they are on the screen even when the walk test ends before it watches anything.
    /// </summary>
    public void Header()
    {
        output.WriteLine($"Walk test of site {site.SiteId}, gateway {site.GatewayId}: {site.Points.Count} points. Trigger each one in turn and let it rest again (rest, alarm, rest); Ctrl+C ends the test.");
        output.WriteLine("Outputs stay at their boot state (the restored plan, less exit-button releases, delayed-egress countdowns and sirens); nothing is decided, journaled or sent to the office.");
        output.Flush();
    }

    /// <summary>
    /// How long the walk test runs at most, before any line is opened: it always ends by itself, with its
    /// report, since the site is unprotected meanwhile (<see cref="WalkTestDuration"/>).
    /// </summary>
    public static void TimeLimit(TextWriter output, TimeSpan limit, bool given)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"The walk test ends by itself after {WalkTestDuration.Format(limit)} ("
            + (given ? "--duration" : $"no --duration given; at most {WalkTestDuration.Format(WalkTestDuration.Max)}")
            + "), with its report.");
        output.Flush();
    }

    /// <summary>
    /// The outputs held away from their normal state for the whole walk test (a lockdown's locks, a fire's
    /// released egress doors, a latched egress release and its sounder), so the technician knows a door
    /// stands open or locked, or a sounder is on; nothing when every output is at its normal state.
    /// </summary>
    public void OutputsNotAtNormal(IReadOnlyList<(OutputDefinition Output, bool Active)> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
        {
            return;
        }

        output.WriteLine("Outputs NOT at their normal state, held so for the whole walk test (saved when the gateway stopped):");
        var width = outputs.Max(o => o.Output.Id.Length);
        foreach (var (o, active) in outputs)
        {
            var zone = _zoneNames.TryGetValue(o.Zone, out var name) && name != o.Zone ? $" ({name})" : "";
            var line = o.LineAddress ?? $"line {o.Line.ToString(CultureInfo.InvariantCulture)}";
            output.WriteLine($"  output {o.Id.PadRight(width)}  {o.Kind}, zone {o.Zone}{zone}, {line}: {OutputState(o, active).ToUpperInvariant()} (normally {OutputState(o, !active)})");
        }

        output.Flush();
    }

    /// <summary>A fire input seen active drove the fire plan (<see cref="WalkTestFireRelease"/>): each output it moved, as its line shows it.</summary>
    public void FireReleased(PointDefinition point, IReadOnlyList<FireOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(outputs);
        output.WriteLine($"{Clock()} FIRE {Describe(point)}: egress released, held until the walk test ends (the gateway's start decides again)");
        foreach (var (o, active, failure) in outputs)
        {
            var line = o.LineAddress ?? $"line {o.Line.ToString(CultureInfo.InvariantCulture)}";
            var what = o.Kind == OutputKind.Lock ? "release this door by hand" : "check it";
            output.WriteLine(failure is null
                ? $"  output {o.Id}  {o.Kind}, zone {o.Zone}, {line}: {OutputState(o, active).ToUpperInvariant()}"
                : $"  output {o.Id}  {o.Kind}, zone {o.Zone}, {line}: NOT {OutputState(o, active).ToUpperInvariant()} ({failure}; written again every second): {what}");
        }

        output.Flush();
    }

    private static string OutputState(OutputDefinition o, bool active) => o.Kind == OutputKind.Lock
        ? (active ? "locked" : "unlocked")
        : (active ? "on" : "off");

    /// <summary>The board's events reported before the test started, when it ends before it starts.</summary>
    public void BoardAtStart(IReadOnlyList<DomainEvent> events, int notKept)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            Board(e);
        }

        NotKeptAtStart(notKept);
    }

    /// <summary>How many board events reported before the test started were not kept (nothing when none).</summary>
    public void NotKeptAtStart(int count)
    {
        if (count > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Clock()} fault board: {count} more event{(count == 1 ? " was" : "s were")} reported while the lines were opened and not kept"));
            output.Flush();
        }
    }

    /// <summary>
    /// Every point that reads active already: it is in alarm, or its wiring or active level is inverted. It is
    /// still walked, but it cannot pass this run: walking an inverted point shows rest, alarm, rest too.
    /// </summary>
    public void ActiveAtStart(IEnumerable<(PointDefinition Point, bool Active, LoopReading? Loop)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        // A lock monitor active at start is a lock holding its door: its rest (WalkTestTally.Start).
        foreach (var (point, active, loop) in points.Where(p => p.Active && !p.Point.MayRestActive))
        {
            output.WriteLine($"  active at start  {Describe(point)}{Eol(loop)}: this run cannot pass it; {ActiveAtStartAdvice}; "
                + "if it reads active at rest or 'restored' when triggered, its wiring or activeLevel is inverted");
        }

        output.Flush();
    }

    /// <summary>
    /// A lock monitor that disagrees at start with the lock the walk test holds. Walked by the door alone, an
    /// inverted one would pass: it still changes as the door opens and closes.
    /// </summary>
    public void LockDisagreesAtStart(PointDefinition monitor, DoorDefinition door, LockCondition disagreement, LoopReading? loop)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(door);
        output.WriteLine($"  not at rest      {Describe(monitor)}{Eol(loop)}: {LockDisagreement(door, disagreement)}; this run cannot pass it");
        output.Flush();
    }

    /// <summary>What a lock monitor's disagreement at start means, and what to check.</summary>
    private static string LockDisagreement(DoorDefinition door, LockCondition disagreement) => disagreement == LockCondition.NotEngaged
        ? $"reads not holding while the walk test holds {door.LockId} locked and door {door.Id} is closed: the lock does not hold the door "
            + "(armature out of line, door ajar against it, no power at the lock), the monitor's cable is cut, or it is wired inverted (NO instead of NC, activeLevel)"
        : $"reads holding while the walk test holds {door.LockId} released: the lock is stuck engaged, or the monitor is wired inverted "
            + "(NO instead of NC, activeLevel)";

    /// <summary>A point's filtered state changed.</summary>
    /// <remarks>
    /// The line says <c>tamper</c> instead of <c>seen</c> for a supervised loop's change on a tamper reading
    /// (its alarm band not read): no proof. The change that completes rest, alarm, rest says <c>passed</c>;
    /// an alarm before it says the point must now be restored.
    /// </remarks>
    public void Change(PointDefinition point, bool active, bool high, int edges, LoopReading? loop, int seen, WalkChange proved = WalkChange.Step)
    {
        var word = proved == WalkChange.Tamper ? "tamper" : "seen";
        var why = proved switch
        {
            WalkChange.Tamper => " (loop cut or bridged, not its alarm band: not counted as seen)",
            WalkChange.Completed => ", passed (rest, alarm, rest)",
            WalkChange.CompletedActiveAtStart => $", walked (rest, alarm, rest) but {AwayAtStart(point)}: not passed",
            WalkChange.Step when active => ", restore it to pass",
            WalkChange.StepActiveAtStart when active => $", {AwayAtStart(point)}: this run cannot pass it",
            _ => string.Empty,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Clock()} {word} {Describe(point)}: {(active ? "ACTIVE" : "restored")}, raw {(high ? "high" : "low")}{Eol(loop)}, {edges} raw edge{(edges == 1 ? "" : "s")}{why}  [{seen}/{site.Points.Count} seen]"));
        output.Flush();
    }

    /// <summary>
    /// A supervision event of the I/O board or a native line (loop cut or bridged, chip not answering, edge lost),
    /// or of the kernel check; stamped with the time it was reported, which for one reported at start is earlier.
    /// </summary>
    public void Board(DomainEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var at = Clock(e.At);
        output.WriteLine(e switch
        {
            EolTamperDetected t => $"{at} fault {t.PointId}: loop {Name(t.Condition)}, reading {t.Reading} ({t.Type})",
            EolTamperRestored t => $"{at} fault {t.PointId}: loop back in range, reading {t.Reading} ({t.Type})",
            // The reason says what is wrong and what it means for the points: a chip that does not
            // answer, an interrupt line that does not assert, a native line that lost an edge.
            HardwareFault f => $"{at} fault {f.Device}: {f.Reason} ({f.Type})",
            HardwareFaultRestored f => $"{at} fault {f.Device}: restored ({f.Type})",
            _ => $"{at} fault {e.Type} {e.Point}",
        });
        output.Flush();
    }

    /// <summary>
    /// A chatter event of the walk test's own supervision (the site's policy): the point changed as often as the
    /// gateway suppresses (or, for a panic or fire input, reports), and when it settled again.
    /// </summary>
    public void Supervision(DomainEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var at = Clock(e.At);
        var line = e switch
        {
            ChatterDetected c => string.Create(CultureInfo.InvariantCulture,
                $"{at} fault {c.PointId}: chatter, {c.Transitions} changes within {c.Window.TotalSeconds:0.###} s ({c.Type}): in service it would be ")
                + (c.Suppressed ? "suppressed (only a level held for the hold time alarms at once, a shorter alarm at the settle)" : "reported, never suppressed (panic or fire input)")
                + "; check its terminals and contact",
            ChatterRestored c => string.Create(CultureInfo.InvariantCulture,
                $"{at} fault {c.PointId}: chatter settled after {c.Transitions} changes, quiet for {c.SettleTime.TotalSeconds:0.###} s ({c.Type})"),
            _ => null,
        };
        if (line is not null)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>The final report: every point never seen, then every point seen with its counts.</summary>
    public void Report(WalkTestTally tally, WalkTestEnd end)
    {
        var why = end switch
        {
            WalkTestEnd.AllSeen => "every point seen",
            WalkTestEnd.Duration => "duration over",
            // While the control server started, or while the inputs settled: either way no point was read.
            WalkTestEnd.StoppedBeforeWatching => "stopped before watching, nothing watched",
            _ => "stopped",
        };
        output.WriteLine();
        output.WriteLine($"Walk test report ({why}): {tally.Seen} of {site.Points.Count} points seen.");
        foreach (var point in tally.NotSeen)
        {
            var count = tally.Of(point.Id);
            output.WriteLine($"  NOT SEEN  {Describe(point)}{NotSeenWhy(count)}");
        }

        foreach (var point in tally.Tampered)
        {
            var tampers = string.Join(", ", tally.Of(point.Id).Tampers.OrderBy(t => t.Key).Select(t => string.Create(CultureInfo.InvariantCulture, $"{Name(t.Key)} {t.Value}x")));
            output.WriteLine($"  TAMPER    {Describe(point)}: loop {tampers}; check the cable and its end-of-line resistors");
        }

        foreach (var point in tally.Chattered)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  CHATTER   {Describe(point)}: chattered {tally.Of(point.Id).Chatters}x (supervision: {site.Supervision.ChatterTransitions} changes within {site.Supervision.ChatterWindow.TotalSeconds:0.###} s); check its terminals and contact"));
        }

        foreach (var fault in tally.HardwareFaults)
        {
            output.WriteLine($"  HARDWARE  {fault.Device} {When(fault.AtStart)}{(fault.Restored ? " (restored since)" : string.Empty)}: {fault.Reason}");
        }

        foreach (var point in site.Points)
        {
            var count = tally.Of(point.Id);
            if (count.IsSeen)
            {
                var tampers = string.Concat(count.Tampers.OrderBy(t => t.Key).Select(t => string.Create(CultureInfo.InvariantCulture, $", loop {Name(t.Key)} {t.Value}x")));
                // Walked, yet not passed: an inverted point walks rest, alarm, rest just the same.
                var (word, atStart) = count switch
                {
                    { LockDisagreement: { } lockState } => ("NOT AT REST AT START ", $"; it disagreed with its lock: {LockDisagreement(DoorOf(point), lockState)}"),
                    { ActiveAtStart: true } => ("ACTIVE AT START ", $"; check its wiring, or {ActiveAtStartAdvice}"),
                    _ => ("seen     ", string.Empty),
                };
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {word} {Describe(point)}: activated {count.Activations}x, restored {count.Restores}x{tampers}{atStart}"));
            }
        }

        var failures = new List<string>();
        if (!tally.AllSeen)
        {
            failures.Add($"{tally.NotSeen.Count} point{(tally.NotSeen.Count == 1 ? " was" : "s were")} never seen: {string.Join(", ", tally.NotSeen.Select(p => p.Id))}");
        }

        if (tally.ActiveAtStart.Count > 0)
        {
            failures.Add($"active at start, cannot pass this run: {string.Join(", ", tally.ActiveAtStart.Select(p => p.Id))}; "
                + "check the wiring (NO/NC contact, active-low, activeLevel) or put the point at rest and walk it again");
        }

        if (tally.LockDisagreedAtStart.Count > 0)
        {
            failures.Add($"lock monitor disagreed with its lock at start, cannot pass this run: {string.Join(", ", tally.LockDisagreedAtStart.Select(p => p.Id))}; "
                + "check the lock holds (or lets go) and the monitor's wiring (NO/NC contact, activeLevel), then walk it again");
        }

        if (tally.Tampered.Count > 0)
        {
            failures.Add($"loop tamper (cut or bridged) during the test: {string.Join(", ", tally.Tampered.Select(p => p.Id))}");
        }

        if (tally.Chattered.Count > 0)
        {
            failures.Add($"chatter during the test: {string.Join(", ", tally.Chattered.Select(p => p.Id))}");
        }

        foreach (var atStart in new[] { true, false })
        {
            var devices = tally.HardwareFaults.Where(f => f.AtStart == atStart).Select(f => f.Device).Distinct(StringComparer.Ordinal).ToList();
            if (devices.Count > 0)
            {
                failures.Add($"hardware fault {When(atStart)}: {string.Join(", ", devices)}");
            }
        }

        if (tally.NotKeptAtStart > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{tally.NotKeptAtStart} board events at start not kept, so not shown"));
        }

        output.WriteLine(failures.Count == 0 ? "PASSED: every point was seen." : $"FAILED: {string.Join("; ", failures)}");
        output.Flush();
    }

    /// <summary>What to do with a point that read active at start.</summary>
    private const string ActiveAtStartAdvice = "put it at rest, start a new walk test and walk it again (rest, alarm, rest)";

    /// <summary>Where a point not seen stopped on its way through rest, alarm, rest.</summary>
    private static string NotSeenWhy(WalkTestTally.PointCount count) => count switch
    {
        { IsLoop: true, Changes: > 0, AlarmBandRead: false } => ": changed only on tamper readings, its alarm band was never read",
        { LockDisagreement: not null, Step: WalkStep.NeedsRest } => ": disagreed with its lock at start and never seen at rest",
        { Step: WalkStep.NeedsRest } => ": active at start and never seen at rest (in alarm, or wiring or activeLevel inverted)",
        { Step: WalkStep.InAlarm } => ": seen in alarm, never at rest again",
        { ActiveAtStart: true, Restores: > 0 } => ": active at start, then seen at rest but never in alarm (wiring or activeLevel inverted?)",
        _ => string.Empty,
    };

    /// <summary>How a point that cannot pass this run was found at start.</summary>
    private static string AwayAtStart(PointDefinition point) => point.MayRestActive ? "not at rest at start (its lock disagreed)" : "active at start";

    // A lock monitor's door (the config refuses a monitor no door names).
    private DoorDefinition DoorOf(PointDefinition monitor) => site.DoorList.First(d => d.LockMonitor == monitor.Id);

    private string Describe(PointDefinition point) =>
        $"{point.Id.PadRight(_width)}  {point.Kind}, zone {point.Zone}{(_zoneNames.TryGetValue(point.Zone, out var name) && name != point.Zone ? $" ({name})" : "")}, {point.LineAddress ?? $"line {point.Line.ToString(CultureInfo.InvariantCulture)}"}";

    private static string Eol(LoopReading? loop) => loop is null
        ? string.Empty
        : string.Create(CultureInfo.InvariantCulture, $", eol {Name(loop.State)} {loop.Reading}");

    private static string Name(LoopState state) => state switch
    {
        LoopState.Normal => "normal",
        LoopState.Alarm => "alarm",
        LoopState.OpenCircuitTamper => "open",
        _ => "short",
    };

    private static string Name(LoopTamper tamper) => tamper == LoopTamper.Open ? "open" : "short";

    private static string When(bool atStart) => atStart ? "at start" : "during the test";

    private string Clock() => time.GetLocalNow().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private string Clock(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, time.LocalTimeZone).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
}
