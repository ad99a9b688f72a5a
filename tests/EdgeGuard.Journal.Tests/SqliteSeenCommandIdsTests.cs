using EdgeGuard.Core.Commands;

namespace EdgeGuard.Journal.Tests;

public sealed class SqliteSeenCommandIdsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SqliteSeenCommandIdsTests() => _path = _temp.File("edgeguard.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_id_is_recorded_once()
    {
        using var database = JournalDatabase.Open(_path);
        var seen = new SqliteSeenCommandIds(database);

        Assert.True(seen.TryRecord("a", Now.AddMinutes(1), Now));
        Assert.False(seen.TryRecord("a", Now.AddMinutes(1), Now.AddSeconds(1)));
        Assert.True(seen.TryRecord("b", Now.AddMinutes(1), Now.AddSeconds(1)));
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void A_command_replayed_after_a_restart_is_refused()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            Assert.True(new SqliteSeenCommandIds(database).TryRecord("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", Now.AddMinutes(1), Now));
        }

        using var reopened = JournalDatabase.Open(_path);
        Assert.False(new SqliteSeenCommandIds(reopened).TryRecord("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", Now.AddMinutes(1), Now.AddSeconds(5)));
    }

    [Fact]
    public void Replayed_after_a_restart_is_refused_by_the_verifier()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var keys = new OperatorKeyRing([OperatorKey.FromPem("sup.jones", OperatorRole.Supervisor, key.ExportSubjectPublicKeyInfoPem())]);
        var options = new CommandVerifierOptions("site-a", "gw-1");
        var payload = CommandSigner.Sign(CommandSigner.Create(CommandType.Lockdown, "site-a", "gw-1", "sup.jones", Now, TimeSpan.FromSeconds(60)), key).ToPayload();

        using (var database = JournalDatabase.Open(_path))
        {
            Assert.True(new CommandVerifier(keys, new SqliteSeenCommandIds(database), options).Verify(payload, retained: false, Now.AddSeconds(1)).Accepted);
        }

        using var reopened = JournalDatabase.Open(_path);
        var verdict = new CommandVerifier(keys, new SqliteSeenCommandIds(reopened), options).Verify(payload, retained: false, Now.AddSeconds(2));
        Assert.Equal(CommandRejection.Replayed, verdict.Rejection);
    }

    [Fact]
    public void Expired_ids_are_pruned_and_survivors_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var seen = new SqliteSeenCommandIds(database);
        seen.TryRecord("old", Now.AddSeconds(10), Now);
        seen.TryRecord("young", Now.AddMinutes(10), Now);

        Assert.True(seen.TryRecord("new", Now.AddMinutes(20), Now.AddMinutes(1)));

        Assert.Equal(2, seen.Count);
        Assert.False(seen.TryRecord("young", Now.AddMinutes(10), Now.AddMinutes(1)));
        // Once its time is up an id may be recorded afresh; the verifier refuses it as expired first.
        Assert.True(seen.TryRecord("old", Now.AddMinutes(2), Now.AddMinutes(1)));
    }

    [Fact]
    public void Pruning_survives_a_restart_too()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var seen = new SqliteSeenCommandIds(database);
            for (var i = 0; i < 100; i++)
            {
                seen.TryRecord($"id-{i}", Now.AddSeconds(i), Now);
            }
        }

        using var reopened = JournalDatabase.Open(_path);
        var store = new SqliteSeenCommandIds(reopened);
        store.TryRecord("later", Now.AddHours(1), Now.AddSeconds(50));
        Assert.Equal(51, store.Count); // id-50 .. id-99 still due, plus "later"
    }
}
