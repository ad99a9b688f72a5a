using EdgeGuard.Core.Commands;
using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// <see cref="JournalOpenerFullCardTests"/> on a file system that is really full: a 2 MiB tmpfs
/// mounted as the state directory and filled, so SQLite itself fails the open (the -shm cannot
/// grow, the schema upgrade cannot be written). Needs root, as the CI runs; without it the test
/// fails, saying so, rather than skipping.
/// </summary>
public sealed class JournalOpenerFullFileSystemTests : JournalOpenerFixture
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_lockdown_saved_before_an_update_survives_a_start_on_a_full_card(bool olderSchema)
    {
        var state = Path.GetDirectoryName(Real)!;
        Directory.CreateDirectory(state);
        Run("mount", $"-t tmpfs -o size=2m tmpfs {state}");
        try
        {
            var hash = new byte[32];
            var window = new ReplayWindow(Now.AddSeconds(-30), Now.AddMinutes(10));
            using (var database = JournalDatabase.Open(Real))
            using (var seen = new SqliteSeenCommandIds(database, Time))
            {
                seen.Record("cmd-run", hash, window, Now, new CommandFinal(true, null)); // run before the restart
            }

            SaveLockdownOnTheCard(olderSchema);

            var filler = Path.Combine(state, "filler");
            Fill(filler); // the card fills up (the journal's own events in a long outage, logs, ...)

            var opening = JournalOpener.Open(Real, Volatile, Time);
            using (var db = opening.Database)
            {
                var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
                Assert.Equal(FallbackFile, db.Path);
                Assert.Equal(LockdownAsLoaded(olderSchema), new SqliteSafetyStateStore(db, Time).Load());
                Assert.DoesNotContain("tries", fault.Reason, StringComparison.Ordinal); // final at once
                using var onRam = new SqliteSeenCommandIds(db, Time);
                Assert.Equal(SeenStatus.Finished, onRam.Record("cmd-run", hash, window, Now).Status); // a replay: not run again
            }

            // Room again: the real journal takes over and keeps the lockdown.
            File.Delete(filler);
            var back = JournalOpener.Open(Real, Volatile, Time);
            using var real = back.Database;
            Assert.Equal(Real, real.Path);
            Assert.Equal(LockdownAsLoaded(olderSchema), new SqliteSafetyStateStore(real, Time).Load());
            using var seenAfter = new SqliteSeenCommandIds(real, Time);
            Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-run", hash, window, Now).Status);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Run("umount", $"-l {state}");
        }
    }

    private static void Fill(string path)
    {
        using var filler = new FileStream(path, FileMode.Create);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(block);
                filler.Flush(true);
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    private static void Run(string file, string args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"{file} {args} failed (this test needs root to mount a tmpfs; it does not skip): {process.StandardError.ReadToEnd()}");
    }
}
