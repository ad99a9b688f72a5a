using EdgeGuard.Core.Commands;
using EdgeGuard.Journal;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// A replay store on a card hung in fsync: every write gives up after its bounded wait, as
/// <c>SqliteSeenCommandIds</c> does (a busy <see cref="JournalException"/> caused by a
/// <see cref="TimeoutException"/>), until <see cref="Hung"/> is cleared. <see cref="Find"/> reads on
/// a connection of its own and answers all the same, unless <see cref="FindFails"/>.
/// </summary>
public sealed class HungSeenCommandIds : ISeenCommandIds
{
    private const string Busy = "busy: another write held the database for more than 1000 ms (a slow or failing disk); nothing was written.";

    public InMemorySeenCommandIds Inner { get; } = new();

    public bool Hung { get; set; } = true;

    /// <summary>When set, the read gives up too (its own bounded wait ran out).</summary>
    public bool FindFails { get; set; }

    /// <summary>
    /// The bound each record was asked to wait within, in order: null for the store's own bound.
    /// </summary>
    public List<TimeSpan?> Waits { get; } = [];

    /// <summary>Called with each record's bound before it gives up (a test moves its clock, as the wait would).</summary>
    public Action<TimeSpan?>? Waiting { get; set; }

    /// <summary>Called for each record the store takes (a test moves its clock, as a slow commit would).</summary>
    public Action? Committing { get; set; }

    public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null)
    {
        Waits.Add(null);
        if (Hung)
        {
            Waiting?.Invoke(null);
        }

        ThrowIfHung();
        Committing?.Invoke();
        return Inner.Record(id, payloadHash, window, now, final);
    }

    public SeenCommand RecordWithin(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, TimeSpan wait)
    {
        Waits.Add(wait);
        if (Hung)
        {
            Waiting?.Invoke(wait);
        }

        ThrowIfHung();
        Committing?.Invoke();
        return Inner.Record(id, payloadHash, window, now);
    }

    /// <summary>The bound each start mark was asked to wait within, in order: null for the store's own.</summary>
    public List<TimeSpan?> StartWaits { get; } = [];

    public void Start(string id)
    {
        StartWaits.Add(null);
        ThrowIfHung();
        Inner.Start(id);
    }

    public void StartWithin(string id, TimeSpan wait)
    {
        StartWaits.Add(wait);
        ThrowIfHung();
        Inner.Start(id);
    }

    public void Finish(string id, CommandFinal final)
    {
        ThrowIfHung();
        Inner.Finish(id, final);
    }

    public SeenCommand? Find(string id, byte[] payloadHash) =>
        FindFails ? throw new JournalException("read failed: database is locked") : Inner.Find(id, payloadHash);

    private void ThrowIfHung()
    {
        if (Hung)
        {
            throw new JournalException(Busy, new TimeoutException(Busy));
        }
    }
}
