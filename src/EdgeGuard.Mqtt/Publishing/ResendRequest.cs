namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// One resend the office asked for: the journaled events <see cref="From"/> through
/// <see cref="To"/> sent again, in seq order, flagged with <see cref="CommandId"/>. Owned by the
/// publisher (<see cref="OutboxPublisher.StartResend"/>) and carried out by the pump of the
/// session that picks it up; a session that ends with it unfinished ends it (not resumed).
/// </summary>
internal sealed class ResendRequest(string commandId, long from, long to)
{
    /// <summary>The resend command's id, written into every event it sends (<c>resend</c>).</summary>
    public string CommandId { get; } = commandId;

    /// <summary>The first seq asked for.</summary>
    public long From { get; } = from;

    /// <summary>The last seq asked for.</summary>
    public long To { get; } = to;

    /// <summary>Highest seq handed to the client (From − 1 before the first); the pump's only.</summary>
    public long SentThrough { get; set; } = from - 1;

    /// <summary>Highest seq up to which every seq of the range is settled (a contiguous prefix); the pump's only.</summary>
    public long SettledThrough { get; set; } = from - 1;

    /// <summary>Events sent and acknowledged (any success code).</summary>
    public long Resent { get; set; }

    /// <summary>Its publishes awaiting their PUBACK; the pump's only.</summary>
    public int InFlight { get; set; }

    /// <summary>
    /// Of <see cref="InFlight"/>, the first ones, sent before a refusal rewound the resend to the
    /// refused seq: their answers are ignored (they are sent again after its stub). The pump's only.
    /// </summary>
    public int Stale { get; set; }

    /// <summary>
    /// Seqs of the range sent as their withheld stub, and why: refused for what they are (by the
    /// live stream or by this resend). The pump's only.
    /// </summary>
    public Dictionary<long, string> Withheld { get; } = [];

    /// <summary>Read-ahead from the journal, and the next index in it; the pump's only.</summary>
    public IReadOnlyList<Core.Ports.JournalRecord> Buffer { get; set; } = [];

    /// <summary>Index of the next record of <see cref="Buffer"/> to send.</summary>
    public int BufferIndex { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"resend {CommandId} (seqs {From} to {To})";
}

/// <summary>The one resend that may run at a time, shared by the publisher and its sessions.</summary>
internal sealed class ResendSlot
{
    private ResendRequest? _current;

    /// <summary>The resend asked for and not ended; null when none.</summary>
    public ResendRequest? Current => Volatile.Read(ref _current);

    /// <summary>Takes the slot for <paramref name="request"/>; false when another resend holds it.</summary>
    public bool TryStart(ResendRequest request) => Interlocked.CompareExchange(ref _current, request, null) is null;

    /// <summary>
    /// Frees the slot if <paramref name="request"/> holds it; true then. False when another end
    /// (the publisher's refusal or the session's) freed it first: that one reports the outcome.
    /// </summary>
    public bool End(ResendRequest request) => ReferenceEquals(Interlocked.CompareExchange(ref _current, null, request), request);
}
