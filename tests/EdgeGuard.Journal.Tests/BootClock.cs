using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A fake clock whose monotonic timestamp counts from its creation, as the system's counts from
/// boot (CLOCK_MONOTONIC): the journal's floors add the time since boot to a seq
/// (JournalOpener.NewJournalFloors.Above), and <see cref="FakeTimeProvider"/>'s own timestamp
/// counts from the year 1 (about 6 × 10^16 µs, above 2^53 once added).
/// </summary>
public sealed class BootClock(DateTimeOffset now) : FakeTimeProvider(now)
{
    private readonly DateTimeOffset _boot = now;

    /// <inheritdoc />
    public override long GetTimestamp() => (GetUtcNow() - _boot).Ticks;
}
