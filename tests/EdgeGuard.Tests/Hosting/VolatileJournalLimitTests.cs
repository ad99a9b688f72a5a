using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// A journal in RAM (the volatile fallback in /run) is kept to half the room of its file system:
/// /run is a small tmpfs that systemd and every service share, and the configured limit (about
/// 300 MB) would fill it in a long office outage.
/// </summary>
public sealed class VolatileJournalLimitTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 4, 20, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-ramlimit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(100L * 1024 * 1024, 102_400)]          // a 1 GB Pi's /run, 100 MiB free: half of it, 512 B a record
    [InlineData(64L * 1024, JournalLimits.MinVolatileRecords)] // next to nothing free: still a journal
    [InlineData(4L * 1024 * 1024 * 1024 * 1024, 1_100_000)]    // more room than the limit needs: the limit stands
    public void A_journal_in_RAM_keeps_at_most_what_half_its_room_holds(long roomBytes, long maxRecords)
    {
        var configured = JournalLimits.Default;

        var limits = configured.ForVolatile(roomBytes);

        Assert.Equal(maxRecords, limits.MaxRecords);
        Assert.Equal(configured.MaxDeliveredAge, limits.MaxDeliveredAge);
    }

    [Fact]
    public void Only_the_volatile_journal_is_sized_by_its_room()
    {
        using var database = JournalDatabase.Open(Path.Combine(_dir, JournalDatabase.FileName));
        var real = Path.Combine(_dir, "state", JournalDatabase.FileName);

        var onRam = new JournalOpening(database, new JournalUnavailable(At, real, database.Path, "the card does not answer"));
        var room = JournalLogging.VolatileRoom(onRam, JournalLogging.RoomOf);
        Assert.NotNull(room);
        Assert.True(room >= new FileInfo(database.Path).Length, $"room {room}");

        Assert.Null(JournalLogging.VolatileRoom(new JournalOpening(database, null), _ => 1));
        Assert.Null(JournalLogging.VolatileRoom(new JournalOpening(database, new JournalReplaced(At, database.Path, database.Path + ".damaged", "damaged")), _ => 1));
        // The volatile journal set aside and the real one running: not in RAM.
        Assert.Null(JournalLogging.VolatileRoom(new JournalOpening(database, new JournalUnavailable(At, real, Path.Combine(_dir, "run", JournalDatabase.FileName), "x")), _ => 1));
    }
}
