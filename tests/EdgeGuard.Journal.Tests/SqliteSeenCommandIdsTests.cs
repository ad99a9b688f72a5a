using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>The replay store in the journal database; each rule is checked against the in-memory store too, so both behave the same.</summary>
public sealed class SqliteSeenCommandIdsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);
    private static readonly byte[] HashA = SHA256.HashData("payload a"u8);
    private static readonly byte[] HashB = SHA256.HashData("payload b"u8);
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    // Only its monotonic clock is used (the stores' replay clock): wall times are passed as now.
    private readonly FakeTimeProvider _time = new(Now);

    public SqliteSeenCommandIdsTests() => _path = _temp.File("edgeguard.db");

    public void Dispose() => _temp.Dispose();

    /// <summary>The window of a command issued at <see cref="Now"/> (30 s skew) and refused as expired from <paramref name="until"/>.</summary>
    private static ReplayWindow Until(DateTimeOffset until) => new(Now.AddSeconds(-30), until);

    /// <summary>Runs <paramref name="check"/> on a fresh SQLite store and on a fresh in-memory one.</summary>
    private void OnBoth(Action<ISeenCommandIds> check)
    {
        using (var database = JournalDatabase.Open(_path))
        {
            check(new SqliteSeenCommandIds(database, _time));
        }

        check(new InMemorySeenCommandIds(_time));
    }

    [Fact]
    public void An_id_is_new_once_then_unfinished_with_the_same_bytes_and_a_replay_with_other_bytes() => OnBoth(seen =>
    {
        Assert.Equal(SeenStatus.New, seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now).Status);
        Assert.Equal(SeenStatus.Unfinished, seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("a", HashB, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);
        Assert.Equal(SeenStatus.New, seen.Record("b", HashB, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);
    });

    [Fact]
    public void A_finished_id_answers_its_final_result_and_finishing_twice_keeps_the_first() => OnBoth(seen =>
    {
        seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now);
        seen.Finish("a", new CommandFinal(false, "a panic button is still held"));
        seen.Finish("a", new CommandFinal(true, null));
        seen.Finish("unknown", new CommandFinal(true, null));

        var again = seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(2));
        Assert.Equal(new SeenCommand(SeenStatus.Finished, new CommandFinal(false, "a panic button is still held")), again);
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("a", HashB, Until(Now.AddMinutes(1)), Now.AddSeconds(2)).Status);
        Assert.Equal(SeenStatus.New, seen.Record("unknown", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(2)).Status);
    });

    [Fact]
    public void A_started_id_reads_started_until_finished_and_start_changes_nothing_else() => OnBoth(seen =>
    {
        seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now);
        seen.Start("a");
        seen.Start("unknown");

        Assert.Equal(new SeenCommand(SeenStatus.Started, null), seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(1)));
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("a", HashB, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);
        Assert.Equal(SeenStatus.New, seen.Record("unknown", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);

        seen.Finish("a", new CommandFinal(true, null));
        seen.Start("a"); // finished stays finished
        Assert.Equal(new SeenCommand(SeenStatus.Finished, new CommandFinal(true, null)), seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(2)));
    });

    [Fact]
    public void A_started_id_still_reads_started_after_a_restart()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var seen = new SqliteSeenCommandIds(database);
            seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now);
            seen.Start("a");
        }

        using var reopened = JournalDatabase.Open(_path);
        Assert.Equal(SeenStatus.Started, new SqliteSeenCommandIds(reopened).Record("a", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(1)).Status);
    }

    [Fact]
    public void A_final_result_given_with_the_record_finishes_the_id_at_once() => OnBoth(seen =>
    {
        var refused = new CommandFinal(false, "role-not-allowed: a guard may not send 'all-clear'");
        Assert.Equal(SeenStatus.New, seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now, refused).Status);
        Assert.Equal(new SeenCommand(SeenStatus.Finished, refused), seen.Record("a", HashA, Until(Now.AddMinutes(1)), Now));

        seen.Record("b", HashA, Until(Now.AddMinutes(1)), Now);
        Assert.Equal(SeenStatus.Unfinished, seen.Record("b", HashA, Until(Now.AddMinutes(1)), Now, refused).Status);
        Assert.Equal(new SeenCommand(SeenStatus.Finished, refused), seen.Record("b", HashA, Until(Now.AddMinutes(1)), Now));
    });

    [Fact]
    public void A_command_recorded_before_a_restart_is_remembered_with_its_bytes_and_result()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var seen = new SqliteSeenCommandIds(database);
            Assert.Equal(SeenStatus.New, seen.Record("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", HashA, Until(Now.AddMinutes(1)), Now).Status);
            Assert.Equal(SeenStatus.New, seen.Record("done-before", HashA, Until(Now.AddMinutes(1)), Now).Status);
            seen.Finish("done-before", new CommandFinal(true, "lockdown started"));
        }

        using var reopened = JournalDatabase.Open(_path);
        var store = new SqliteSeenCommandIds(reopened);
        Assert.Equal(SeenStatus.Unfinished, store.Record("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(5)).Status);
        Assert.Equal(SeenStatus.OtherPayload, store.Record("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", HashB, Until(Now.AddMinutes(1)), Now.AddSeconds(5)).Status);
        Assert.Equal(new SeenCommand(SeenStatus.Finished, new CommandFinal(true, "lockdown started")), store.Record("done-before", HashA, Until(Now.AddMinutes(1)), Now.AddSeconds(5)));
    }

    [Fact]
    public void Replayed_with_other_bytes_after_a_restart_is_refused_by_the_verifier_and_a_verbatim_copy_is_a_repeat()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keys = new OperatorKeyRing([OperatorKey.FromPem("sup.jones", OperatorRole.Supervisor, key.ExportSubjectPublicKeyInfoPem())]);
        var options = new CommandVerifierOptions("site-a", "gw-1");
        var payload = CommandSigner.Sign(CommandSigner.Create(CommandType.Lockdown, "site-a", "gw-1", "sup.jones", Now, TimeSpan.FromSeconds(60)), key).ToPayload();
        // The same signed command, spelt with other whitespace: still authentic, but other bytes.
        var respelt = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(payload).Replace(",", ", ", StringComparison.Ordinal));

        using (var database = JournalDatabase.Open(_path))
        {
            var verifier = new CommandVerifier(keys, new SqliteSeenCommandIds(database), options);
            var verdict = verifier.Verify(payload, retained: false, Now.AddSeconds(1));
            Assert.True(verdict.Accepted);
            verifier.Finish(verdict.CommandId, new CommandFinal(true, null));
        }

        using var reopened = JournalDatabase.Open(_path);
        var again = new CommandVerifier(keys, new SqliteSeenCommandIds(reopened), options);
        Assert.Equal(CommandRejection.Replayed, again.Verify(respelt, retained: false, Now.AddSeconds(2)).Rejection);
        var repeat = again.Verify(payload, retained: false, Now.AddSeconds(2));
        Assert.False(repeat.Accepted);
        Assert.Equal(new CommandFinal(true, null), repeat.Repeat!.Final);
    }

    [Fact]
    public void Expired_ids_are_pruned_and_survivors_kept() => OnBoth(seen =>
    {
        seen.Record("old", HashA, Until(Now.AddSeconds(10)), Now);
        seen.Record("young", HashA, Until(Now.AddMinutes(10)), Now);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(SeenStatus.New, seen.Record("new", HashA, Until(Now.AddMinutes(20)), Now.AddMinutes(1)).Status);

        Assert.Equal(2L, seen switch { SqliteSeenCommandIds s => s.Count, InMemorySeenCommandIds m => m.Count, _ => -1 });
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("young", HashB, Until(Now.AddMinutes(10)), Now.AddMinutes(1)).Status);
        // Once its time is up an id may be recorded afresh; the verifier refuses it as expired first.
        Assert.Equal(SeenStatus.New, seen.Record("old", HashB, Until(Now.AddMinutes(2)), Now.AddMinutes(1)).Status);
    });

    [Fact]
    public void Pruning_survives_a_restart_too()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var seen = new SqliteSeenCommandIds(database, _time);
            for (var i = 0; i < 100; i++)
            {
                seen.Record($"id-{i}", HashA, Until(Now.AddSeconds(i)), Now);
            }
        }

        using var reopened = JournalDatabase.Open(_path);
        var store = new SqliteSeenCommandIds(reopened, _time);
        // The first record after a restart resumes the replay clock; it has counted nothing yet.
        store.Record("later", HashA, Until(Now.AddHours(1)), Now.AddSeconds(50));
        Assert.Equal(101, store.Count);

        _time.Advance(TimeSpan.FromMinutes(3));
        store.Record("later-still", HashA, Until(Now.AddHours(1)), Now.AddSeconds(50));
        Assert.Equal(52, store.Count); // id-50 .. id-99 still due by the wall clock, plus the two
    }

    [Fact]
    public void A_schema_9_database_is_migrated_and_its_remembered_ids_stay_replays()
    {
        using (var raw = JournalDatabaseTests.OpenRaw(_path))
        {
            JournalDatabaseTests.Execute(raw, "PRAGMA journal_mode = WAL;");
            for (var version = 0; version < 9; version++)
            {
                JournalDatabaseTests.Execute(raw, JournalSchema.MigrationFrom(version));
            }

            JournalDatabaseTests.Execute(raw, $"INSERT INTO seen_commands (id, forget_after) VALUES ('before-upgrade', {Now.AddMinutes(5).ToUnixTimeMilliseconds()}); PRAGMA application_id = {JournalSchema.ApplicationId}; PRAGMA user_version = 9;");
        }

        using var database = JournalDatabase.Open(_path);
        var seen = new SqliteSeenCommandIds(database, _time);

        Assert.Equal((long)JournalDatabase.SchemaVersion, database.Read(connection => { using var c = connection.CreateCommand(); c.CommandText = "PRAGMA user_version;"; return (long)c.ExecuteScalar()!; }));
        // Its bytes were never hashed: no payload can prove to be the same one, so it stays a replay.
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("before-upgrade", HashA, Until(Now.AddMinutes(5)), Now).Status);
        Assert.Equal(SeenStatus.New, seen.Record("after-upgrade", HashA, Until(Now.AddMinutes(5)), Now).Status);
        seen.Finish("after-upgrade", new CommandFinal(true, null));
        Assert.Equal(SeenStatus.Finished, seen.Record("after-upgrade", HashA, Until(Now.AddMinutes(5)), Now).Status);
        // A row recorded after the upgrade is pruned once its window has passed on both clocks; one
        // from before it (schema 13) has no elapsed time recorded, so it is kept for a day of it.
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(SeenStatus.New, seen.Record("later", HashA, Until(Now.AddMinutes(10)), Now.AddMinutes(6)).Status);
        Assert.Equal(2, seen.Count);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(SeenStatus.New, seen.Record("before-upgrade", HashA, Until(Now.AddMinutes(20)), Now.AddMinutes(11)).Status);
        Assert.Equal(1, seen.Count);
    }
}
