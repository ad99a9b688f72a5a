namespace EdgeGuard.Core.Lockdown;

/// <summary>The gateway's two connections to the office broker.</summary>
public enum BrokerConnection
{
    /// <summary>The publisher's: events, state, availability (and the will).</summary>
    Publisher,

    /// <summary>The command subscriber's: signed commands in, their results out.</summary>
    Commands,
}

/// <summary>
/// The broker closed one of the gateway's connections because another client connected with its
/// client id (MQTT 5 reason 142, session taken over). The ids are derived from the gateway's
/// secret (its TLS key or broker password), so this is a client holding that secret or a broker
/// administrator: a cloned gateway, an old process still running, or an attacker with the key. A
/// client that takes over the command connection may be handed the queued commands and acknowledge
/// them unseen. The gateway reconnects at once, taking its id back; it names no client id here,
/// since the events topic is read by every office client.
/// </summary>
/// <param name="At">When the broker closed the connection.</param>
/// <param name="Connection">Which connection was taken over.</param>
public sealed record SessionTakenOver(DateTimeOffset At, BrokerConnection Connection) : DomainEvent(At)
{
    public override string Type => "fault.session-taken-over";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// The command connection came back and the broker had no session for it (CONNACK Session
/// Present = false): the commands it queued for the gateway while the connection was down, from
/// <see cref="Since"/> on, are gone (the session expired, the broker restarted without them, or it
/// was taken over). The office re-sends any command issued since then that has no answer. Not
/// raised at the first connect after a start, which finds no session whenever the gateway was away
/// longer than the session expiry, and whose absence the office reads from availability already.
/// </summary>
/// <param name="At">When the connection came back.</param>
/// <param name="Since">When the previous command connection was lost.</param>
public sealed record CommandSessionLost(DateTimeOffset At, DateTimeOffset Since) : DomainEvent(At)
{
    public override string Type => "command.session-lost";
    public override Severity Severity => Severity.Warning;
}

/// <summary>
/// Before its birth the gateway found the broker's retained availability ahead of its own
/// journal: a session at or above the one it took, or an orderly offline whose last seq is above
/// its own. Its journal went back: the SD card or the journal was restored from an older copy,
/// or another box with its id (a cloned card) is ahead. Left alone it would publish a lower
/// session than the office saw, which the contract says never happens (an office that ignores
/// wills of earlier sessions would ignore this gateway's), and reuse seqs the office has seen.
/// The gateway takes a session above the broker's, so its birth and will are newer, and says
/// so here; behind an orderly offline its journal skips through <see cref="BrokerLastSeq"/>
/// first (journal.gap, <see cref="JournalGapCause.WentBack"/>); behind a will, which names no
/// seq, the office may see seqs again.
/// </summary>
/// <param name="At">When the broker's availability was read.</param>
/// <param name="Session">The session the gateway had taken.</param>
/// <param name="BrokerSession">The session on the broker's retained availability.</param>
/// <param name="RaisedSession">The session the gateway takes instead, above the broker's.</param>
/// <param name="LastSeq">The gateway's last journaled seq when it read the broker's.</param>
/// <param name="BrokerLastSeq">The last seq an orderly offline carried; null on a will or a birth.</param>
public sealed record JournalWentBack(DateTimeOffset At, long Session, long BrokerSession, long RaisedSession, long LastSeq, long? BrokerLastSeq) : DomainEvent(At)
{
    public override string Type => "fault.journal-went-back";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// Another running gateway process publishes under this gateway's id: a cloned SD card (same key,
/// so the same client ids, and the two take each other's connection), or a second process on the
/// box. The publisher's availability watch saw, after this process's first birth, an availability
/// message of another <c>instance</c> that no earlier process of this gateway can have left: one
/// of a session above this process's own (sessions only grow, and before its birth a process
/// takes one above any it saw, and above an equal one of another process), of an equal one at two
/// reconnects (two cloned boxes that took equal sessions before either saw the other), or a live
/// <c>online</c>; a message without an instance (a build before instances) counts as one more. Mosquitto 2.0 closes a
/// taken-over connection without reason 142, so there <see cref="SessionTakenOver"/> never comes
/// and this is the gateway's own word on a clone. Once per other instance per process, at most
/// 8 of them (the publisher's <c>DuplicateInstances.Capacity</c>).
/// </summary>
/// <param name="At">When the other process's availability was seen.</param>
/// <param name="Instance">
/// The other process's instance id (16 lower-case hex digits); null when its messages carry none
/// (a gateway built before instances were: a clone made from an older image).
/// </param>
/// <param name="Session">The session the other process's availability carried.</param>
/// <param name="Online">Whether that availability was <c>online</c> (else <c>offline</c>: its will or stop).</param>
/// <param name="OwnInstance">This process's instance id, so the office knows which box speaks.</param>
/// <param name="OwnSession">This process's session.</param>
public sealed record DuplicateGateway(DateTimeOffset At, string? Instance, long Session, bool Online, string OwnInstance, long OwnSession) : DomainEvent(At)
{
    public override string Type => "fault.duplicate-gateway";
    public override Severity Severity => Severity.Critical;
}
