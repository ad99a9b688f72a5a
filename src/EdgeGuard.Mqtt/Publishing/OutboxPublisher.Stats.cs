namespace EdgeGuard.Mqtt.Publishing;

// What the delivery sessions counted (DeliveryStats), for the status line, state/delivery and tests.
public sealed partial class OutboxPublisher
{
    /// <summary>
    /// Highest seq up to which the broker has acknowledged every event. Ahead of the outbox's
    /// durable cursor by at most about 250 ms or 256 events: the journal makes it durable on its
    /// writer thread, with its next commit or a commit of the cursor alone
    /// (<c>EventJournal.CursorCommits</c> counts those).
    /// </summary>
    public long AcknowledgedThrough => _stats.AcknowledgedThrough;

    /// <summary>Highest event seq handed to the MQTT client since start: sent, its PUBACK perhaps still to come.</summary>
    public long SentThrough => _stats.SentThrough;

    /// <summary>Retained state messages (lockdown and point state) published since start.</summary>
    public long StatePublishes => _stats.StatePublishes;

    /// <summary>
    /// Retained state topics republished since start because the site's state had changed
    /// without an event that refreshes them (a journal that cannot take events); 0 while the
    /// journal takes every event.
    /// </summary>
    public long StateResyncs => _stats.StateResyncs;

    /// <summary>
    /// Times state/lockdown was sent ahead of events still waiting because the site's lockdown
    /// state changed meanwhile: during a replay (not counting the publish before it), or while the
    /// broker refuses the event at the head.
    /// </summary>
    public long LockdownSentAhead => _stats.LockdownSentAhead;

    /// <summary>
    /// Events the broker acknowledged with NoMatchingSubscribers (16) since start: delivered, as
    /// the broker took them, but no client subscribed to the events topic at the time.
    /// </summary>
    public long UnheardEvents => _stats.UnheardEvents;

    /// <summary>Warnings logged about such events: one per connection that had any (log event 348).</summary>
    public long UnheardWarnings => _stats.UnheardWarnings;

    /// <summary>Comparisons of the retained state topics with the site's state (tests).</summary>
    internal long StateChecks => _stats.StateChecks;
}
