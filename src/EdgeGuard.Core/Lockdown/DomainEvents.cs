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
        PointKind.Tamper or PointKind.Perimeter => Severity.Alarm,
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
/// </summary>
/// <param name="At">When the trigger was refused.</param>
/// <param name="Cause">What asked, as a start's <see cref="LockdownStarted.Cause"/>.</param>
/// <param name="PointId">The trigger point.</param>
/// <param name="Scenario">The scenario it asked for.</param>
/// <param name="Mode">That scenario's mode.</param>
/// <param name="RunningScenario">The scenario running, which the asked one did not replace.</param>
/// <param name="Reason">Why it was refused, e.g. the asked one does not outrank the other.</param>
public sealed record LockdownStartRefused(DateTimeOffset At, string Cause, string PointId, string Scenario, SiteMode Mode,
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

    public override string Type => "gateway.started";
    public override Severity Severity => RestoredMode == SiteMode.Normal ? Severity.Info : Severity.Warning;
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
/// The safety state could not be written to disk (its save failed, or still ran past the controller's
/// bound for a late save, 2 s); outputs were still driven (safety first). Raised once per state that
/// could not be saved; the controller keeps saving it until <see cref="SafetyStateNotPersistedRestored"/>.
/// </summary>
public sealed record SafetyStateNotPersisted(DateTimeOffset At, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-not-persisted";
    public override Severity Severity => Severity.Critical;
}

/// <summary>
/// The safety state is on disk again after <see cref="SafetyStateNotPersisted"/>: a retried save took, so a
/// power cut from now on restores the state the gateway acts on. Raised once when a run of failed saves ends.
/// </summary>
/// <param name="At">When the save took.</param>
/// <param name="Mode">The mode saved, so the office sees which state a power cut now restores.</param>
public sealed record SafetyStateNotPersistedRestored(DateTimeOffset At, SiteMode Mode) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-not-persisted-restored";
    public override Severity Severity => Severity.Info;
}

/// <summary>
/// The saved safety state could not be read at boot: its row is damaged (a field no release
/// writes), or it was not read within the controller's boot bound (the disk did not answer, or a
/// failure that may pass, such as the database busy, did not pass in time). The gateway booted in
/// the initial state (Normal: no lockdown, nothing released, bypassed or suspended), drove its
/// outputs to that plan and decides its inputs as usual; a lockdown or other scenario in force
/// before the restart may have been lost, so the office re-issues it if one was. One per boot; the
/// next save overwrites the row, so this event keeps what could be said about it. A load that
/// ends after the bound with a state other than the initial one raises a second one
/// (<see cref="ReadLate"/>) that says what the state held: re-applied (<see cref="Reapplied"/>)
/// when it held a scenario and the site was still as it booted, else not, so the office re-issues it.
/// </summary>
/// <param name="At">When the boot gave up on the saved state, or when its late read ended.</param>
/// <param name="Problem">What was wrong: the store's reason, that it was not read in time, or
/// (<see cref="ReadLate"/>) what the late read held.</param>
public sealed record SafetyStateUnreadable(DateTimeOffset At, string Problem) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-unreadable";
    public override Severity Severity => Severity.Critical;

    /// <summary>
    /// The saved state was read after the boot gave up on it, and held more than the initial
    /// state: the gateway runs without what it held, but what <see cref="Reapplied"/> and
    /// <see cref="FireReleaseReapplied"/> put back.
    /// </summary>
    public bool ReadLate { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: the scenario it held was put back in force, as a boot restores
    /// it (the site had decided nothing since the boot), and announced by a second
    /// <c>gateway.started</c> just before this event.
    /// </summary>
    public bool Reapplied { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: it held a scenario (a mode other than normal). Only then does
    /// the reason speak of re-issuing one.
    /// </summary>
    public bool HeldScenario { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: its fire release was put back in force (egress released, as a
    /// boot restores it), the site having neither released egress nor had a fire reset since.
    /// </summary>
    public bool FireReleaseReapplied { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: what it held that is not in force now (a threat level, point
    /// bypasses, door alarms or releases, a fire release reset since), for the reason.
    /// </summary>
    public IReadOnlyList<string> NotRestored { get; init; } = [];

    /// <summary>
    /// What it cost, then the problem: what the office reads in <c>data.reason</c>. The cost first,
    /// so that a long problem cut to the schema's length never cuts it off.
    /// </summary>
    public string Reason => ReadLate
        ? LateCost() + " " + Problem
        : "booted in normal mode, outputs at that plan: a lockdown or other scenario in force "
            + "before the restart may have been lost; re-issue it if one was. " + Problem;

    // Worded by what differs: a lockdown is spoken of only when a scenario was held, and what else
    // is lost (a threat level: perimeter breaches no longer start a lockdown) is named.
    private string LateCost()
    {
        var cost = new List<string>();
        if (Reapplied)
        {
            cost.Add("its scenario is in force again since then");
        }
        else if (HeldScenario)
        {
            cost.Add("re-issue the lockdown or other scenario it held");
        }

        if (FireReleaseReapplied)
        {
            cost.Add("its fire release is in force again (egress released until a fire reset)");
        }

        if (NotRestored.Count > 0)
        {
            cost.Add("not in force: " + string.Join(", ", NotRestored) + "; re-issue what is still wanted");
        }

        return "booted in normal mode without the saved state, which the disk handed over only later (below): "
            + (cost.Count > 0 ? string.Join("; ", cost) : "nothing it held is lost") + ".";
    }
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
