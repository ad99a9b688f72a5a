using System.Security.Cryptography;
using System.Text;
using EdgeGuard.Core.Commands;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A wall clock stepped forward (a bad or spoofed NTP answer, an operator) and back must not let a
/// captured command be accepted twice: both replay stores, the SQLite one also across restarts.
/// Wall times are passed as <c>now</c>; <see cref="FakeTimeProvider.Advance"/> is real time passing.
/// </summary>
public sealed class SeenCommandIdsClockJumpTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);
    private static readonly byte[] HashA = SHA256.HashData("payload a"u8);
    private static readonly byte[] HashB = SHA256.HashData("payload b"u8);
    private readonly TempDirectory _temp = new();
    private readonly string _path;
    private readonly FakeTimeProvider _time = new(T);
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly OperatorKeyRing _keys;
    private readonly CommandVerifierOptions _options = new("site-a", "gw-1");

    public SeenCommandIdsClockJumpTests()
    {
        _path = _temp.File("edgeguard.db");
        _keys = new OperatorKeyRing([OperatorKey.FromPem("sup.jones", OperatorRole.Supervisor, _key.ExportSubjectPublicKeyInfoPem())]);
    }

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    /// <summary>Runs <paramref name="check"/> on a fresh SQLite store and on a fresh in-memory one.</summary>
    private void OnBoth(Action<ISeenCommandIds> check)
    {
        using (var database = JournalDatabase.Open(_path))
        {
            check(new SqliteSeenCommandIds(database, _time));
        }

        check(new InMemorySeenCommandIds(_time));
    }

    /// <summary>The window of a command issued at <paramref name="issued"/> for 15 minutes (30 s skew).</summary>
    private static ReplayWindow Window(DateTimeOffset issued) => new(issued.AddSeconds(-30), issued.AddMinutes(15).AddSeconds(30));

    private static long Count(ISeenCommandIds seen) => seen switch
    {
        SqliteSeenCommandIds s => s.Count,
        InMemorySeenCommandIds m => m.Count,
        _ => -1,
    };

    /// <summary>An all-clear signed by sup.jones, issued at <paramref name="issued"/>, valid 15 minutes.</summary>
    private byte[] Signed(DateTimeOffset issued) =>
        CommandSigner.Sign(CommandSigner.Create(CommandType.AllClear, "site-a", "gw-1", "sup.jones", issued, TimeSpan.FromMinutes(15)), _key).ToPayload();

    private static byte[] Respelt(byte[] payload) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace(",", ", ", StringComparison.Ordinal));

    [Fact]
    public void An_id_recorded_before_the_clock_jumped_a_day_ahead_is_remembered_when_it_comes_back() => OnBoth(seen =>
    {
        Assert.Equal(SeenStatus.New, seen.Record("captured", HashA, Window(T), T).Status);

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(SeenStatus.New, seen.Record("while-ahead", HashA, Window(T.AddDays(1)), T.AddDays(1)).Status);

        _time.Advance(TimeSpan.FromSeconds(55));
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("captured", HashB, Window(T), T.AddMinutes(1)).Status);
        Assert.Equal(SeenStatus.Unfinished, seen.Record("captured", HashA, Window(T), T.AddMinutes(1)).Status);
    });

    [Fact]
    public void The_verifier_refuses_a_captured_command_again_after_the_clock_jumped_a_day_ahead_and_back() => OnBoth(seen =>
    {
        var verifier = new CommandVerifier(_keys, seen, _options);
        var captured = Signed(T);
        var first = verifier.Verify(captured, retained: false, T);
        Assert.True(first.Accepted, first.Reason);
        verifier.Finish(first.CommandId, new CommandFinal(true, null));

        // The office took the same bad NTP answer: its command is valid at the wrong time, and recorded.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(verifier.Verify(Signed(T.AddDays(1)), retained: false, T.AddDays(1)).Accepted);

        _time.Advance(TimeSpan.FromSeconds(55));
        var replay = verifier.Verify(captured, retained: false, T.AddMinutes(1));
        Assert.False(replay.Accepted, "a captured command was accepted a second time");
        Assert.Equal(new CommandFinal(true, null), replay.Repeat?.Final);
        Assert.Equal(CommandRejection.Replayed, verifier.Verify(Respelt(captured), retained: false, T.AddMinutes(1)).Rejection);
    });

    [Fact]
    public void The_verifier_refuses_it_again_when_the_gateway_restarted_during_the_jump()
    {
        var captured = Signed(T);
        using (var database = JournalDatabase.Open(_path))
        {
            var verifier = new CommandVerifier(_keys, new SqliteSeenCommandIds(database, _time), _options);
            var first = verifier.Verify(captured, retained: false, T);
            Assert.True(first.Accepted, first.Reason);
            verifier.Finish(first.CommandId, new CommandFinal(true, null));
        }

        // Restarted with the clock a day ahead (no RTC, a bad NTP answer at boot).
        _time.Advance(TimeSpan.FromSeconds(20));
        using (var database = JournalDatabase.Open(_path))
        {
            var verifier = new CommandVerifier(_keys, new SqliteSeenCommandIds(database, _time), _options);
            Assert.True(verifier.Verify(Signed(T.AddDays(1)), retained: false, T.AddDays(1)).Accepted);
        }

        // Restarted again with the clock corrected.
        _time.Advance(TimeSpan.FromSeconds(40));
        using var reopened = JournalDatabase.Open(_path);
        var again = new CommandVerifier(_keys, new SqliteSeenCommandIds(reopened, _time), _options);
        var replay = again.Verify(captured, retained: false, T.AddMinutes(1));
        Assert.False(replay.Accepted, "a captured command was accepted a second time");
        Assert.Equal(new CommandFinal(true, null), replay.Repeat?.Final);
        Assert.Equal(CommandRejection.Replayed, again.Verify(Respelt(captured), retained: false, T.AddMinutes(1)).Rejection);
    }

    [Fact]
    public void An_id_is_kept_while_the_wall_clock_would_still_accept_its_command() => OnBoth(seen =>
    {
        seen.Record("captured", HashA, Window(T), T);

        // Real time passed its window, but the clock was set back into it: still remembered.
        _time.Advance(TimeSpan.FromHours(1));
        seen.Record("other", HashA, Window(T), T.AddMinutes(1));
        Assert.Equal(SeenStatus.OtherPayload, seen.Record("captured", HashB, Window(T), T.AddMinutes(1)).Status);

        // Both clocks past it: forgotten ("other", recorded an hour later, is not).
        Assert.Equal(SeenStatus.New, seen.Record("captured", HashB, Window(T.AddMinutes(20)), T.AddMinutes(20)).Status);
        Assert.Equal(2, Count(seen));
    });

    [Fact]
    public void Ids_are_pruned_once_their_window_has_really_passed_so_the_store_stays_small() => OnBoth(seen =>
    {
        for (var minute = 0; minute < 120; minute++)
        {
            seen.Record($"id-{minute}", HashA, Window(T.AddMinutes(minute)), T.AddMinutes(minute));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        // A 16-minute window, on both clocks: the last 17 recorded (the 17th is at its edge).
        Assert.Equal(17, Count(seen));
    });

    [Fact]
    public void Time_counted_before_a_restart_still_counts_after_it_and_time_powered_off_does_not()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var seen = new SqliteSeenCommandIds(database, _time);
            seen.Record("a", HashA, Window(T), T);
            _time.Advance(TimeSpan.FromMinutes(10));
            seen.Record("b", HashA, Window(T.AddMinutes(10)), T.AddMinutes(10)); // persists 10 min
        }

        // Powered off for a day: not counted, whatever the wall clock says after the restart.
        _time.Advance(TimeSpan.FromDays(1));
        using var reopened = JournalDatabase.Open(_path);
        var store = new SqliteSeenCommandIds(reopened, _time);
        store.Record("c", HashA, Window(T.AddDays(1)), T.AddDays(1));
        Assert.Equal(3, store.Count);

        // 10 minutes before the restart and 6 after it: past a's 16-minute window, not b's.
        _time.Advance(TimeSpan.FromMinutes(6).Add(TimeSpan.FromSeconds(1)));
        store.Record("d", HashA, Window(T.AddDays(1)), T.AddDays(1));
        Assert.Equal(3, store.Count);
        Assert.Equal(SeenStatus.New, store.Record("a", HashB, Window(T), T.AddDays(1)).Status);
        Assert.Equal(SeenStatus.OtherPayload, store.Record("b", HashB, Window(T), T.AddDays(1)).Status);
    }
}
