using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>How urgently the security office must look at an event.</summary>
public enum Severity
{
    Info,
    Warning,
    Alarm,
    Critical,
}

/// <summary>A fact the gateway reports: logged, journaled, and (later) published over MQTT.</summary>
public abstract record DomainEvent(DateTimeOffset At)
{
    /// <summary>Event type as it appears in logs and on the wire, e.g. <c>lockdown.started</c>.</summary>
    public abstract string Type { get; }

    /// <summary>How urgent the event is.</summary>
    public abstract Severity Severity { get; }

    /// <summary>The point the event is about, if any.</summary>
    public virtual string? Point => null;

    /// <summary>Whether the event belongs to a drill (journaled and published with <c>drill: true</c>).</summary>
    public bool Drill { get; init; }
}

/// <summary>A point became active (door opened, button pressed, beam broken).</summary>
public sealed record PointActivated(DateTimeOffset At, string PointId, PointKind Kind, string Zone) : DomainEvent(At)
{
    public override string Type => "point.activated";
    public override Severity Severity => Kind switch
    {
        PointKind.PanicButton => Severity.Critical,
        _ when Bypassed => Severity.Info,
        PointKind.Tamper or PointKind.Perimeter or PointKind.PowerTrouble => Severity.Alarm,
        _ => Severity.Info,
    };
    public override string? Point => PointId;

    /// <summary>The point is bypassed: reported, but it raises no alarm and starts nothing.</summary>
    public bool Bypassed { get; init; }
}

/// <summary>A point returned to its normal state.</summary>
public sealed record PointRestored(DateTimeOffset At, string PointId, PointKind Kind, string Zone) : DomainEvent(At)
{
    public override string Type => "point.restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => PointId;

    /// <summary>The point is bypassed (see <see cref="PointActivated.Bypassed"/>).</summary>
    public bool Bypassed { get; init; }
}

/// <summary>The site went into lockdown.</summary>
/// <remarks>One record for every mode; the wire type names the mode (<c>evacuation.started</c>, …).</remarks>
public sealed record LockdownStarted(DateTimeOffset At, string Cause, string? PointId, SiteMode Mode = SiteMode.Lockdown,
    string Scenario = ScenarioDefinition.LockdownId, string? Replaced = null) : DomainEvent(At)
{
    /// <summary>
    /// The <see cref="Cause"/> of a suspended scenario that runs again, because the releaser of the
    /// one that took it over ended that one (<see cref="SuspendedScenario"/>); <see cref="Replaced"/>
    /// then names the one just ended.
    /// </summary>
    public const string ResumedCause = "resumed";

    public override string Type => ModeTypes.Prefix(Mode) + ".started";
    public override Severity Severity => Severity.Critical;
    public override string? Point => PointId;
}

/// <summary>Another panic press during a lockdown: the siren sounds again.</summary>
public sealed record LockdownRetriggered(DateTimeOffset At, string Cause, string? PointId, SiteMode Mode = SiteMode.Lockdown,
    string Scenario = ScenarioDefinition.LockdownId) : DomainEvent(At)
{
    public override string Type => ModeTypes.Prefix(Mode) + ".retriggered";
    public override Severity Severity => Severity.Critical;
    public override string? Point => PointId;
}

/// <summary>The lockdown was cleared by an authorised party.</summary>
public sealed record LockdownCleared(DateTimeOffset At, string ClearedBy, DateTimeOffset LockdownSince, SiteMode Mode = SiteMode.Lockdown,
    string Scenario = ScenarioDefinition.LockdownId) : DomainEvent(At)
{
    public override string Type => ModeTypes.Prefix(Mode) + ".cleared";
    public override Severity Severity => Severity.Warning;

    /// <summary>
    /// True when <see cref="ClearedBy"/> names office operators (e.g. <c>sup.jones+sup.smith</c>),
    /// not a keyswitch point: an operator's name is no point id, so the event then has no point.
    /// </summary>
    public bool ByOffice { get; init; }

    public override string? Point => ByOffice ? null : ClearedBy;
}

/// <summary>An attempt to clear the lockdown was refused; the reason says why.</summary>
public sealed record LockdownClearRefused(DateTimeOffset At, string AttemptedBy, string Reason) : DomainEvent(At)
{
    public override string Type => "lockdown.clear-refused";
    public override Severity Severity => Severity.Alarm;
    public override string? Point => AttemptedBy;
}

/// <summary>
/// A trigger on site (a panic button, a keyswitch, a breach) asked for a scenario that did not
/// start: a real one of higher rank runs, or a drill was asked for over a real one. Without it the
/// office saw only the point's own <c>point.activated</c> and could not tell the press was refused.
/// Also a signed office lockdown or shelter outranked and kept suspended (cause
/// <c>office-command</c>, no point; its <c>command.done</c> names the operator).
/// </summary>
/// <param name="At">When the trigger was refused.</param>
/// <param name="Cause">What asked, as a start's <see cref="LockdownStarted.Cause"/>.</param>
/// <param name="PointId">The trigger point; null for a signed office command kept suspended.</param>
/// <param name="Scenario">The scenario it asked for.</param>
/// <param name="Mode">That scenario's mode.</param>
/// <param name="RunningScenario">The scenario running, which the asked one did not replace.</param>
/// <param name="Reason">Why it was refused, e.g. the asked one does not outrank the other.</param>
public sealed record LockdownStartRefused(DateTimeOffset At, string Cause, string? PointId, string Scenario, SiteMode Mode,
    string RunningScenario, string Reason) : DomainEvent(At)
{
    public override string Type => "lockdown.start-refused";

    /// <summary>
    /// A real lockdown or shelter kept suspended under the running one is a scenario started (its
    /// locks lock now), so it is as urgent as a start; a refusal that changed nothing is an alarm.
    /// </summary>
    public override Severity Severity => Suspended ? Severity.Critical : Severity.Alarm;

    public override string? Point => PointId;

    /// <summary>
    /// True when the asked scenario is kept suspended under the running one
    /// (<see cref="SuspendedScenario"/>): its locks lock now, and it runs when that one ends.
    /// </summary>
    public bool Suspended { get; init; }

    /// <summary>
    /// True when the refusal sounded the running siren again (a real trigger, not under or for a
    /// shelter in place): only then does acknowledging it silence the siren. Journaled, so the
    /// acknowledgement after a restart knows too.
    /// </summary>
    public bool SirenRestarted { get; init; }
}

/// <summary>The siren's configured time ran out; the lockdown itself goes on.</summary>
public sealed record SirenTimedOut(DateTimeOffset At) : DomainEvent(At)
{
    public override string Type => "siren.timed-out";
    public override Severity Severity => Severity.Info;
}

/// <summary>
/// The gateway booted and restored its safety state before reading inputs. Once per boot, and
/// once more when a state read late is put back in force (<see cref="SafetyStateUnreadable.Reapplied"/>).
/// </summary>
public sealed record GatewayStarted(DateTimeOffset At, SiteMode RestoredMode, string? LockdownCause) : DomainEvent(At)
{
    /// <summary>
    /// The real scenarios the restored one had taken over or kept under it, lowest rank first:
    /// their locks stay locked, and each runs again when the one over it is ended by its releaser.
    /// </summary>
    public IReadOnlyList<SuspendedScenario> Suspended { get; init; } = [];

    /// <summary>
    /// The restored scenario's id; null in normal mode. With <see cref="DomainEvent.Drill"/> set
    /// from the saved state too, so a drill restored after a restart is not reported as a real
    /// lockdown (set both with <see cref="Restoring"/>).
    /// </summary>
    public string? Scenario { get; init; }

    /// <summary>
    /// The start of a boot that restored <paramref name="safety"/>: its mode, cause, scenario, drill
    /// flag and suspended scenarios, as the saved state holds them.
    /// </summary>
    public static GatewayStarted Restoring(DateTimeOffset at, SafetyState safety)
    {
        ArgumentNullException.ThrowIfNull(safety);
        return new GatewayStarted(at, safety.Mode, safety.Lockdown?.Cause)
        {
            Scenario = safety.Lockdown?.Scenario,
            Drill = safety.Lockdown?.Drill ?? false,
            Suspended = safety.SuspendedScenarios,
        };
    }

    /// <summary>
    /// What of the saved state the boot did not keep as it was saved, because the config changed
    /// while the gateway was stopped (a door, point, threat level or scenario removed or changed),
    /// one phrase each saying what is in force instead. Empty when everything was kept.
    /// </summary>
    public IReadOnlyList<string> NotRestored { get; init; } = [];

    /// <summary>
    /// Sent again by the same run, when a state read late is put back in force: not a restart, so
    /// it closes none of the faults the office holds open for the gateway (a chip not answering, a
    /// door released because its exit buttons cannot be read stay as they are).
    /// </summary>
    public bool Reapplied { get; init; }

    public override string Type => "gateway.started";

    // A warning when the office must look: a scenario in force, or saved state it may still show
    // (a latched door, a bypass, a level) that is no longer so.
    public override Severity Severity => RestoredMode == SiteMode.Normal && NotRestored.Count == 0 ? Severity.Info : Severity.Warning;
}

/// <summary>
/// A point was already active when the gateway booted (its level after the inputs settled, so boot
/// transients are over). Reported; most kinds start nothing. A fire input releases egress and a panic
/// button is decided like a press (its lockdown or silent hold-up events follow this one).
/// </summary>
public sealed record PointActiveAtBoot(DateTimeOffset At, string PointId, PointKind Kind, string Zone) : DomainEvent(At)
{
    public override string Type => "point.active-at-boot";
    public override Severity Severity => Kind == PointKind.PanicButton ? Severity.Alarm : Severity.Warning;
    public override string? Point => PointId;
}

/// <summary>
/// An output line could not be driven to its planned level. Raised once per failing line; the controller
/// drives it again every <c>SiteController.OutputRetryInterval</c> until <see cref="OutputFaultRestored"/>.
/// </summary>
public sealed record OutputFault(DateTimeOffset At, string OutputId, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.output";
    public override Severity Severity => Severity.Critical;
    public override string? Point => OutputId;
}

/// <summary>
/// An output reported with <see cref="OutputFault"/> shows its planned level again: a retried write took,
/// or the plan came back to the level the line has. Raised once per fault; the controller retries meanwhile
/// without raising the fault again.
/// </summary>
public sealed record OutputFaultRestored(DateTimeOffset At, string OutputId) : DomainEvent(At)
{
    public override string Type => "fault.output-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => OutputId;
}

/// <summary>
/// The journal reached its limit with undelivered events: new events are being dropped (counted)
/// until the office catches up. Protection of the site is unaffected.
/// </summary>
public sealed record JournalFull(DateTimeOffset At, long Undelivered, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.journal-full";
    public override Severity Severity => Severity.Critical;
}

/// <summary>The journal has room again; <see cref="Dropped"/> events could not be journaled meanwhile.</summary>
public sealed record JournalRecovered(DateTimeOffset At, long Dropped) : DomainEvent(At)
{
    public override string Type => "journal.recovered";
    public override Severity Severity => Dropped == 0 ? Severity.Info : Severity.Alarm;
}

/// <summary>Why the journal skipped a range of seqs (<see cref="JournalGap"/>).</summary>
public enum JournalGapCause
{
    /// <summary>The previous run reserved these seqs and stopped (killed, power cut) before they were durable.</summary>
    UncleanShutdown,

    /// <summary>The journal could not commit records it had already handed to the publisher.</summary>
    WriteFailed,

    /// <summary>
    /// A new journal replaced one that could not be opened (damaged, or unavailable: JournalStartEvents.cs)
    /// and cannot know its last seq: it starts at a floor no real journal reaches.
    /// </summary>
    NewJournal,

    /// <summary>The real journal is back after a run on the volatile fallback: these seqs may be the fallback's.</summary>
    FallbackJournal,

    /// <summary>
    /// The journal went back (restored from an older copy): the broker's retained orderly offline
    /// named a last seq above it, so the seqs up to it may have reached the office already
    /// (<see cref="JournalWentBack"/>).
    /// </summary>
    WentBack,
}

/// <summary>
/// Seqs <see cref="FromSeq"/>..<see cref="ThroughSeq"/> were handed out but are not in the journal and
/// never will be; this record takes seq <c>ThroughSeq + 1</c>. The journal hands an event to the
/// publisher while it is still being committed, so some of them may have reached the office before
/// they were lost here. Seqs are never reused: a jump without this record is a real loss.
/// </summary>
public sealed record JournalGap(DateTimeOffset At, long FromSeq, long ThroughSeq, JournalGapCause Cause) : DomainEvent(At)
{
    public override string Type => "journal.gap";
    public override Severity Severity => Severity.Warning;
}

/// <summary>
/// The broker refused or failed an event, or it is larger than the broker's announced Maximum Packet
/// Size and was not sent; it stays in the outbox and is retried.
/// </summary>
public sealed record DeliveryFault(DateTimeOffset At, long Seq, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.delivery";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// A resend the office asked for (the <c>resend</c> command <see cref="ResendId"/>, seqs
/// <see cref="From"/> to <see cref="To"/>) ended: done (<see cref="Problem"/> null), or cut short
/// (refused, the journal unreadable, the link lost, aged out). The command's <c>done</c> answer
/// only says it started; this, in the stream, says when the office can stop waiting, and how far
/// it got: every seq from <see cref="From"/> through <see cref="SettledThrough"/> was sent again
/// and acknowledged (seqs the journal never held skipped).
/// </summary>
public sealed record ResendEnded(DateTimeOffset At, string ResendId, long From, long To, long SettledThrough, long Resent, string? Problem) : DomainEvent(At)
{
    public override string Type => "resend.ended";
    public override Severity Severity => Problem is null ? Severity.Info : Severity.Warning;
}

/// <summary>
/// The broker refused a retained state message (<see cref="Topic"/>, e.g. its <c>state/lockdown</c>):
/// what the office reads there may be stale. The gateway sends it again with backoff until the
/// broker takes it; raised once per topic until then.
/// </summary>
public sealed record StateDeliveryFault(DateTimeOffset At, string Topic, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.state-delivery";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// The office broker will not take the gateway's events: it refused the connection (a CONNACK other
/// than success: bad credentials, not authorised, banned, quota), closed it with a reason code (a
/// DISCONNECT such as administrative action or session taken over), or TLS failed (the pinned check
/// refused the broker's certificate, or the broker ended TLS with an alert such as "unknown ca").
/// Raised once per reason; the events wait in the outbox and the gateway keeps retrying. A link
/// that is merely down is not this fault: the broker tells the office with the gateway's will.
/// </summary>
public sealed record BrokerFault(DateTimeOffset At, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.broker";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// The gateway is let in again after <see cref="BrokerFault"/>: caught up, or the broker answered
/// an event with a refusal (a <see cref="DeliveryFault"/> of its own). <see cref="Refusals"/>
/// attempts were refused or cut off meanwhile.
/// </summary>
public sealed record BrokerFaultRestored(DateTimeOffset At, long Refusals) : DomainEvent(At)
{
    public override string Type => "fault.broker-restored";
    public override Severity Severity => Severity.Info;
}

/// <summary>The wire prefix of each mode's events: <c>lockdown</c>, <c>evacuation</c>, <c>shelter</c>.</summary>
public static class ModeTypes
{
    /// <summary>The event type prefix for <paramref name="mode"/>.</summary>
    public static string Prefix(SiteMode mode) => mode switch
    {
        SiteMode.Evacuation => "evacuation",
        SiteMode.ShelterInPlace => "shelter",
        _ => "lockdown",
    };
}
