using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A write-ahead log beside a missing or empty database file holds every commit since the last
/// checkpoint; SQLite deletes it at the first read. Before, the boot then ran as a first boot (seq 1
/// again, the lockdown gone, no fault). It is damage now: moved aside whole, never deleted, and a
/// new journal starts above the floor with fault.journal-replaced (JournalDatabase.OrphanedWal.cs).
/// </summary>
public sealed class JournalOrphanedWalTests : JournalOpenerFixture
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_boot_moves_an_orphaned_wal_aside_whole_and_starts_a_new_journal_above_the_floor(bool mainFileMissing)
    {
        var wal = CrashWithTheMainFileLost(mainFileMissing);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(Real, database.Path);
        Assert.Contains("write-ahead log", fault.Problem, StringComparison.Ordinal);
        Assert.Contains(mainFileMissing ? "is missing" : "is empty", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(wal, File.ReadAllBytes(fault.KeptAt + "-wal"));
        Assert.True(File.Exists(fault.KeptAt), "the damaged-<stamp> file is the record of the replace");
        Assert.True(database.SeqTop() >= Floor - 1, "above every seq the office saw, never from 1 again");
        Assert.False(File.Exists(FallbackFile), "the new real journal, not the volatile one");
    }

    [Fact]
    public void Every_open_refuses_an_orphaned_wal_as_damage_and_leaves_it_in_place()
    {
        var wal = CrashWithTheMainFileLost(mainFileMissing: false);

        var open = Assert.Throws<JournalException>(() => JournalDatabase.Open(Real));
        var readOnly = Assert.Throws<JournalException>(() => JournalDatabase.OpenReadOnly(Real));
        var reader = Assert.Throws<JournalException>(() => JournalReader.Open(Real));
        var schema = Assert.Throws<JournalException>(() => JournalFileSchema.Read(Real));

        foreach (var refused in new[] { open, readOnly, reader, schema })
        {
            Assert.True(JournalOpener.IsDamaged(refused), refused.Message);
            Assert.Contains(Real + "-wal", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(wal, File.ReadAllBytes(Real + "-wal"));
    }

    // The volatile journal's set, left by an earlier start of this boot (RuntimeDirectoryPreserve),
    // its main file deleted: the WAL alone made no start look at it, and every open refused it, so
    // the start failed with "the volatile fallback journal cannot be opened either", at every restart.
    [Fact]
    public void A_volatile_journal_s_orphaned_wal_is_set_aside_and_a_new_one_made_when_the_card_cannot_be_opened()
    {
        var wal = CrashWithTheMainFileLost(mainFileMissing: true, FallbackFile);

        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), FullCard);
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("write-ahead log", fault.Reason, StringComparison.Ordinal);
        var kept = Assert.Single(Directory.GetFiles(Volatile, JournalDatabase.FileName + ".damaged-*-wal"));
        Assert.Equal(wal, File.ReadAllBytes(kept));
    }

    [Fact]
    public void A_wal_of_only_its_header_beside_an_empty_file_is_no_damage()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, []);
        File.WriteAllBytes(Real + "-wal", new byte[32]);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Null(opening.Fault);
        Assert.Equal(Real, database.Path);
    }

    // A run that saved a lockdown and journaled events, killed (its WAL not checkpointed), then the
    // main file deleted or emptied. Returns the WAL's bytes.
    private byte[] CrashWithTheMainFileLost(bool mainFileMissing, string? path = null)
    {
        path ??= Real;
        var crashed = TempFile("crashed.db");
        using (var database = JournalDatabase.Open(path))
        {
            new SqliteSafetyStateStore(database, Time).Save(Lockdown);
            // Copied while it is open: a kill leaves the WAL as it is (a close checkpoints it).
            File.Copy(path + "-wal", crashed + "-wal");
        }

        var wal = File.ReadAllBytes(crashed + "-wal");
        Assert.True(wal.Length > 32, "the WAL holds the commits");
        File.Delete(path + "-shm");
        File.Copy(crashed + "-wal", path + "-wal", overwrite: true);
        if (mainFileMissing)
        {
            File.Delete(path);
        }
        else
        {
            File.WriteAllBytes(path, []);
        }

        return wal;
    }
}
