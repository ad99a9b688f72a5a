namespace EdgeGuard.Mqtt.Publishing;

// Status of refused deliveries (DeliverySession.Refusals.cs), for the console and the tests.
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
}
