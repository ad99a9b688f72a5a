using System.Collections.Immutable;

namespace EdgeGuard.Core.Lockdown;

// Chatter of the inputs supervision never withholds (panic, fire, request-to-exit): their changes
// still act, but a repeat of the same alarm is news only once per chatter episode.
public sealed partial record SiteState
{
    /// <summary>
    /// Points whose <c>fault.chatter</c> is raised but whose changes still reach the decider
    /// (<see cref="PointsSuppressed.Chattering"/>). Not persisted: supervision starts afresh at a
    /// restart, and a still-chattering point is detected again within one window.
    /// </summary>
    public ImmutableSortedSet<string> ChatteringPoints { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// The chattering panic buttons that have already retriggered the running scenario in their
    /// current chatter episode: a further press keeps the lockdown and raises no event and no siren
    /// restart, but still drops the all-clear approvals given before it (an all-clear signed before
    /// a press never lifts the lockdown). A point leaves it when its episode ends. Not persisted.
    /// </summary>
    public ImmutableSortedSet<string> RetriggeredWhileChattering { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Takes supervision's list of chattering points; an episode that ended forgets its retrigger.</summary>
    internal SiteState WithChattering(ImmutableSortedSet<string> chattering)
    {
        ArgumentNullException.ThrowIfNull(chattering);
        var points = chattering.WithComparer(StringComparer.Ordinal);
        return this with { ChatteringPoints = points, RetriggeredWhileChattering = RetriggeredWhileChattering.Intersect(points) };
    }
}
