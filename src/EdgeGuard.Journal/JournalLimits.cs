namespace EdgeGuard.Journal;

/// <summary>
/// How much the event journal keeps. Delivered records age out past <see cref="MaxDeliveredAge"/>
/// and are trimmed, oldest first, when the journal holds more than <see cref="MaxRecords"/>.
/// Undelivered records are never deleted: when <see cref="MaxRecords"/> of them are waiting, new
/// events are dropped and counted, and the journal records a <c>fault.journal-full</c>.
/// </summary>
/// <param name="MaxRecords">
/// Most records kept (delivered or not), and most undelivered ones accepted. At roughly 250 bytes
/// a record plus its id index, the default of 1,000,000 is about 300 MB of disk.
/// </param>
/// <param name="MaxDeliveredAge">
/// Delivered records older than this (by event time) are deleted. EN 50131 asks for at least
/// 30 days of event history, hence the default.
/// </param>
public sealed record JournalLimits(long MaxRecords, TimeSpan MaxDeliveredAge)
{
    /// <summary>Records a journal full of fault records may exceed <see cref="MaxRecords"/> by.</summary>
    internal const int FaultReserve = 16;

    /// <summary>1,000,000 records, delivered ones kept 30 days.</summary>
    public static JournalLimits Default { get; } = new(1_000_000, TimeSpan.FromDays(30));

    /// <summary>Throws when a limit makes no sense.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero or negative.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecords, 1L, nameof(MaxRecords));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxDeliveredAge, TimeSpan.Zero, nameof(MaxDeliveredAge));
    }
}
