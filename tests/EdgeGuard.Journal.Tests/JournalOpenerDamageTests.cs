using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal file is moved aside as damaged only when the damage is confirmed, and never behind
/// the back of a boot that has switched to the volatile journal (JournalOpener.Attempt).
/// </summary>
public sealed class JournalOpenerDamageTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => _temp.Dispose();

    private string Real => _temp.File(Path.Combine("state", JournalDatabase.FileName));

    private string Volatile => _temp.File("run");

    [Fact]
    public void A_single_corrupt_read_just_after_a_power_cut_does_not_move_the_journal_aside()
    {
        JournalDatabase.Open(Real).Dispose();
        var opens = 0;

        // The card returns a short read once; the next try reads the file as it is.
        var opening = JournalOpener.Open(Real, Volatile, _time, TimeSpan.FromSeconds(10), path => ++opens == 1
            ? throw new JournalException("damaged", new SqliteException("file is not a database", 26))
            : JournalDatabase.Open(path));
        using var database = opening.Database;

        Assert.Null(opening.Fault);
        Assert.Equal(Real, database.Path);
        Assert.Equal(2, opens);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
    }
}
