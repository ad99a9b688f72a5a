using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Publishing;

// Status of refused and unheard deliveries (DeliverySession.Refusals.cs and .Unheard.cs), for
// the console, the resend and the tests.
public sealed partial class OutboxPublisher
{
    /// <summary>
    /// Events the broker refused for what they are (too large, payload format or topic name
    /// invalid), again when sent alone, and that were therefore published as a stub with
    /// <c>withheld</c> in their place, since start.
    /// </summary>
    public long WithheldEvents => _faults.Withheld;

    /// <summary>Retained state topics the broker refuses now (their messages are sent again with backoff).</summary>
    public int RefusedStateTopics => _faults.StateEpisodes;

    /// <summary>
    /// What <c>state/delivery</c>'s <c>unheard</c> shows: events acknowledged with
    /// NoMatchingSubscribers that the office has not confirmed having (<see cref="MarkHeard"/>; a
    /// resend does not clear them); null when none.
    /// </summary>
    public UnheardSeqs? Unheard => _faults.Unheard;

    /// <summary>
    /// The office confirmed (the <c>heard</c> command) that it has every event through
    /// <paramref name="throughSeq"/>: the unheard range loses the seqs up to it, and clears once
    /// nothing is left; below its first seq nothing changes. <c>state/delivery</c> follows within
    /// one <see cref="MqttPublisherOptions.StateCheckInterval"/>, or with the next event.
    /// </summary>
    /// <returns>True when the range changed.</returns>
    public bool MarkHeard(long throughSeq) => _faults.Heard(throughSeq);
}
