using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

public sealed class SqliteSafetyStateStoreTests : IDisposable
{
    private static readonly SafetyState PanicLockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "lobby-panic-1", new DateTimeOffset(2025, 3, 14, 9, 26, 53, 589, TimeSpan.FromHours(5.5)).AddTicks(7931)),
        SirenSounding: true);

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SqliteSafetyStateStoreTests() => _path = _temp.File("gateway.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void First_boot_loads_the_initial_state()
    {
        using var database = JournalDatabase.Open(_path);

        Assert.Same(SafetyState.Initial, new SqliteSafetyStateStore(database).Load());
    }

    [Fact]
    public void A_saved_lockdown_survives_a_restart()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(PanicLockdown);
        }

        using var reopened = JournalDatabase.Open(_path);
        var loaded = new SqliteSafetyStateStore(reopened).Load();

        Assert.Equal(PanicLockdown, loaded);
        // Record equality compares instants only; the offset is part of what must survive.
        Assert.True(PanicLockdown.Lockdown!.Since.EqualsExact(loaded.Lockdown!.Since));
    }

    [Fact]
    public void Clearing_a_lockdown_is_saved_too()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var store = new SqliteSafetyStateStore(database);
            store.Save(PanicLockdown);
            store.Save(SafetyState.Initial);
        }

        using var reopened = JournalDatabase.Open(_path);
        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(reopened).Load());
    }

    [Fact]
    public void Every_save_replaces_the_single_row_and_bumps_the_revision()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database, clock);

        var revisions = new List<long>();
        foreach (var state in new[] { PanicLockdown, SafetyState.Initial, PanicLockdown with { SirenSounding = false } })
        {
            store.Save(state);
            clock.Advance(TimeSpan.FromSeconds(1));
            revisions.Add(database.Read(c => Scalar<long>(c, "SELECT revision FROM safety_state WHERE id = 1;")));
            Assert.Equal(1L, database.Read(c => Scalar<long>(c, "SELECT count(*) FROM safety_state;")));
        }

        Assert.Equal([1L, 2L, 3L], revisions);
        Assert.Equal(PanicLockdown with { SirenSounding = false }, store.Load());
        Assert.Equal("2025-01-02T03:04:07.0000000+00:00", database.Read(c => Scalar<string>(c, "SELECT updated_at FROM safety_state;")));
    }

    [Fact]
    public void Columns_hold_readable_values_with_the_offset_kept()
    {
        using var database = JournalDatabase.Open(_path);
        new SqliteSafetyStateStore(database).Save(PanicLockdown);

        var row = database.Read(c => (
            Scalar<string>(c, "SELECT mode FROM safety_state;"),
            Scalar<string>(c, "SELECT cause FROM safety_state;"),
            Scalar<string>(c, "SELECT cause_point FROM safety_state;"),
            Scalar<string>(c, "SELECT since FROM safety_state;"),
            Scalar<long>(c, "SELECT siren FROM safety_state;")));

        Assert.Equal(("lockdown", "panic-button", "lobby-panic-1", "2025-03-14T09:26:53.5897931+05:30", 1L), row);
    }

    [Fact]
    public void A_fire_release_survives_a_restart_with_the_lockdown()
    {
        var state = PanicLockdown with { LifeSafety = LifeSafety.FireEgressReleased };
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(state);
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(state, new SqliteSafetyStateStore(reopened).Load());
    }

    [Fact]
    public void An_evacuation_drill_survives_a_restart_as_the_same_scenario_and_still_a_drill()
    {
        var state = new SafetyState(SiteMode.Evacuation, new LockdownInfo("keyswitch", "key-evacuate", PanicLockdown.Lockdown!.Since, "evacuate-east", Drill: true), SirenSounding: true);
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(state);
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(state, new SqliteSafetyStateStore(reopened).Load());
    }

    [Fact]
    public void Door_releases_survive_a_restart()
    {
        var state = PanicLockdown with
        {
            DoorReleases = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, DoorRelease>
            {
                ["door-east"] = DoorRelease.DelayedEgressReleased,
                ["door-west"] = DoorRelease.DelayedEgressCounting,
                ["lobby"] = DoorRelease.RequestToExit,
            }),
        };
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(state);
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(state, new SqliteSafetyStateStore(reopened).Load());
    }

    [Fact]
    public void An_unknown_mode_in_the_row_is_loud_not_normal()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(PanicLockdown);
        }

        using (var raw = OpenRaw(_path))
        {
            Execute(raw, "UPDATE safety_state SET mode = 'curfew' WHERE id = 1;");
        }

        using var reopened = JournalDatabase.Open(_path);
        var ex = Assert.Throws<JournalException>(new SqliteSafetyStateStore(reopened).Load);

        Assert.Contains(reopened.Path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("curfew", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPDATE safety_state SET since = 'yesterday-ish';", "yesterday-ish")]
    [InlineData("PRAGMA ignore_check_constraints = ON; UPDATE safety_state SET since = NULL;", "no start time")]
    [InlineData("PRAGMA ignore_check_constraints = ON; UPDATE safety_state SET siren = 7;", "siren value 7")]
    [InlineData("PRAGMA ignore_check_constraints = ON; UPDATE safety_state SET drill = 2;", "drill value 2")]
    [InlineData("PRAGMA ignore_check_constraints = ON; UPDATE safety_state SET cause = NULL;", "no cause")]
    [InlineData("UPDATE safety_state SET life_safety = 'fire-ish';", "unknown life-safety state 'fire-ish'")]
    [InlineData("UPDATE safety_state SET cause = NULL, cause_point = NULL, since = NULL;", "mode 'lockdown' but no cause")]
    [InlineData("UPDATE safety_state SET door_releases = 'door-a=ajar';", "unreadable door release 'door-a=ajar'")]
    [InlineData("UPDATE safety_state SET door_alarms = 'door-a=forced+kicked';", "unreadable door alarm 'door-a=forced+kicked'")]
    [InlineData("UPDATE safety_state SET door_releases = 'door-a=request-to-exit;door-a=request-to-exit';", "unreadable door release")]
    [InlineData("UPDATE safety_state SET bypasses = 'fence=tomorrow|tech';", "unreadable point bypass 'fence=tomorrow|tech'")]
    [InlineData("UPDATE safety_state SET bypasses = 'fence=2026-11-23T12:00:00.0000000+00:00';", "unreadable point bypass")]
    public void A_damaged_row_is_refused(string damage, string expected) =>
        Assert.Contains(expected, RefusalAfterDamage(_path, PanicLockdown, damage), StringComparison.Ordinal);

    /// <summary>Saves <paramref name="state"/> to the journal at <paramref name="path"/>, reopens it and loads it back.</summary>
    internal static SafetyState SaveAndReopen(string path, SafetyState state)
    {
        using (var database = JournalDatabase.Open(path))
        {
            new SqliteSafetyStateStore(database).Save(state);
        }

        using var reopened = JournalDatabase.Open(path);
        return new SqliteSafetyStateStore(reopened).Load();
    }

    /// <summary>The text the safety state's row holds in <paramref name="column"/>.</summary>
    internal static string SafetyColumn(string path, string column)
    {
        using var database = JournalDatabase.Open(path);
        return database.Read(c => Scalar<string>(c, $"SELECT {column} FROM safety_state WHERE id = 1;"));
    }

    /// <summary>
    /// Saves <paramref name="saved"/> to the journal at <paramref name="path"/>, runs
    /// <paramref name="damage"/> (SQL) on the file, and returns the message of the load's refusal,
    /// which must name the file.
    /// </summary>
    internal static string RefusalAfterDamage(string path, SafetyState saved, string damage)
    {
        using (var database = JournalDatabase.Open(path))
        {
            new SqliteSafetyStateStore(database).Save(saved);
        }

        using (var raw = OpenRaw(path))
        {
            Execute(raw, damage);
        }

        using var reopened = JournalDatabase.Open(path);
        var ex = Assert.Throws<JournalException>(new SqliteSafetyStateStore(reopened).Load);
        Assert.Contains(reopened.Path, ex.Message, StringComparison.Ordinal);
        return ex.Message;
    }

    [Fact]
    public void A_mode_other_than_normal_without_its_cause_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicLockdown);

        Assert.Throws<ArgumentException>(() => store.Save(SafetyState.Initial with { Mode = SiteMode.Evacuation }));

        Assert.Equal(PanicLockdown, store.Load());
    }

    [Fact]
    public void A_mode_without_a_persisted_name_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicLockdown);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Save(PanicLockdown with { Mode = (SiteMode)42 }));

        Assert.Equal(PanicLockdown, store.Load());
    }
}
