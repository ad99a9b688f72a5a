using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The suspended scenarios of <see cref="SafetyState.Suspensions"/> in the <c>suspended</c> column:
/// a stack (oldest first) whose order, points and offsets must survive a power cut exactly.
/// </summary>
public sealed class SuspendedScenarioStoreTests : IDisposable
{
    private static readonly DateTimeOffset Morning = new DateTimeOffset(2025, 3, 14, 9, 26, 53, 589, TimeSpan.FromHours(5.5)).AddTicks(7931);

    // A real scoped shelter in place the office started (no point), taken over by a panic lockdown.
    private static readonly SuspendedScenario Shelter =
        new(SiteMode.ShelterInPlace, new LockdownInfo("office-command", null, Morning, "shelter-east"));

    // Ids and causes holding the column's own separators and the escape character itself.
    private static readonly SuspendedScenario OddEvacuation = new(
        SiteMode.Evacuation,
        new LockdownInfo("key|switch;a=b%20c", "key;evac|1=%", Morning.AddMinutes(3).ToOffset(TimeSpan.FromHours(-9.5)), "evac|east;wing=2%"));

    private static readonly SafetyState PanicOverShelter = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "lobby-panic-1", Morning.AddMinutes(7)),
        SirenSounding: true,
        Suspensions: [Shelter]);

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SuspendedScenarioStoreTests() => _path = _temp.File("gateway.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void No_suspension_is_stored_as_empty_text_and_loads_as_null()
    {
        var state = PanicOverShelter with { Suspensions = null };

        var loaded = SaveAndReopen(state);

        Assert.Equal(state, loaded);
        Assert.Null(loaded.Suspensions);
        Assert.Equal(string.Empty, Column());
    }

    [Fact]
    public void An_empty_list_of_suspensions_loads_as_null()
    {
        var loaded = SaveAndReopen(PanicOverShelter with { Suspensions = [] });

        Assert.Null(loaded.Suspensions);
        Assert.Equal(string.Empty, Column());
    }

    [Fact]
    public void One_suspension_without_a_point_survives_a_restart_exactly()
    {
        var loaded = SaveAndReopen(PanicOverShelter);

        Assert.Equal(PanicOverShelter, loaded);
        var suspended = Assert.Single(loaded.SuspendedScenarios);
        Assert.Null(suspended.Info.Point);
        // Record equality compares instants only; the offset is part of what must survive.
        Assert.True(Shelter.Info.Since.EqualsExact(suspended.Info.Since));
        Assert.Equal("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0", Column());
    }

    [Fact]
    public void Two_suspensions_keep_their_order_points_and_escaped_separators()
    {
        var state = PanicOverShelter with { Suspensions = [OddEvacuation, Shelter] };

        var loaded = SaveAndReopen(state);

        Assert.Equal(state, loaded);
        Assert.Equal(new[] { OddEvacuation, Shelter }, loaded.SuspendedScenarios);
        Assert.Equal("key;evac|1=%", loaded.SuspendedScenarios[0].Info.Point);
        Assert.True(OddEvacuation.Info.Since.EqualsExact(loaded.SuspendedScenarios[0].Info.Since));
        Assert.Equal(
            "evacuation|evac%7Ceast%3Bwing%3D2%25|key%7Cswitch%3Ba%3Db%2520c|key%3Bevac%7C1%3D%25|2025-03-13T18:29:53.5897931-09:30|0"
            + ";shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0",
            Column());

        // The same two the other way round are another stack, and are stored as one.
        var reversed = SaveAndReopen(state with { Suspensions = [Shelter, OddEvacuation] });
        Assert.Equal(new[] { Shelter, OddEvacuation }, reversed.SuspendedScenarios);
    }

    [Fact]
    public void Clearing_the_suspensions_is_saved_too()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var store = new SqliteSafetyStateStore(database);
            store.Save(PanicOverShelter);
            store.Save(SafetyState.Initial);
        }

        Assert.Equal(SafetyState.Initial, Reopen());
        Assert.Equal(string.Empty, Column());
    }

    [Fact]
    public void A_version_14_journal_with_a_lockdown_is_upgraded_and_loads_with_no_suspension()
    {
        var lockdown = PanicOverShelter with { Suspensions = null };
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(lockdown);
        }

        // Back to exactly what version 14 had: the same table without the column.
        using (var raw = OpenRaw(_path))
        {
            Execute(raw, "ALTER TABLE safety_state DROP COLUMN perimeter_breaches; ALTER TABLE safety_state DROP COLUMN suspended; " + JournalDatabaseTests.DropMigration20 + " " + JournalDatabaseTests.DropMigration19 + " " + JournalDatabaseTests.DropMigration18 + " " + JournalDatabaseTests.DropMigration17 + " PRAGMA user_version = 14;");
        }

        using var reopened = JournalDatabase.Open(_path);

        // A version-14 row has no record of breached points either (schema 16): not recorded.
        Assert.Equal(lockdown with { BreachesUnrecorded = true }, new SqliteSafetyStateStore(reopened).Load());
        Assert.Equal((long)JournalDatabase.SchemaVersion, reopened.Read(c => Scalar<long>(c, "PRAGMA user_version;")));
        Assert.Equal(string.Empty, reopened.Read(c => Scalar<string>(c, "SELECT suspended FROM safety_state WHERE id = 1;")));
    }

    [Theory]
    [InlineData("curfew|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0", "unreadable suspended scenario 1 'curfew|")]
    [InlineData("normal|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0", "unreadable suspended scenario 1 'normal|")]
    [InlineData("shelter-in-place|shelter-east|office-command||yesterday-ish|0", "'shelter-in-place|shelter-east|office-command||yesterday-ish|0'")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|2", "unreadable suspended scenario 1")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|1", "unreadable suspended scenario 1")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30", "unreadable suspended scenario 1")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0|0", "unreadable suspended scenario 1")]
    [InlineData("shelter-in-place|shelter%zz|office-command||2025-03-14T09:26:53.5897931+05:30|0", "'shelter-in-place|shelter%zz|")]
    [InlineData("shelter-in-place|shelter%2Deast|office-command||2025-03-14T09:26:53.5897931+05:30|0", "'shelter-in-place|shelter%2Deast|")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53Z|0", "unreadable suspended scenario 1")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0;", "unreadable suspended scenario 2 ''")]
    [InlineData("shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0;lockdown|x|y|z|now|0", "unreadable suspended scenario 2 'lockdown|x|y|z|now|0'")]
    public void A_damaged_suspension_is_refused_naming_the_entry(string text, string expected)
    {
        var message = LoadDamaged($"UPDATE safety_state SET suspended = '{text}';");

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Contains("refusing to guess", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Suspensions_stored_under_mode_normal_are_refused()
    {
        var message = LoadDamaged(
            "UPDATE safety_state SET mode = 'normal', cause = NULL, cause_point = NULL, since = NULL,"
            + " suspended = 'shelter-in-place|shelter-east|office-command||2025-03-14T09:26:53.5897931+05:30|0';");

        Assert.Contains("has mode 'normal' but 1 suspended scenario", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_over_suspensions_is_refused_when_loaded()
    {
        var message = LoadDamaged("UPDATE safety_state SET drill = 1;");

        Assert.Contains("has a drill running over 1 suspended scenario(s)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_suspended_drill_or_a_drill_over_suspensions_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicOverShelter);

        var suspendedDrill = Assert.Throws<ArgumentException>(() => store.Save(PanicOverShelter with { Suspensions = [Shelter with { Info = Shelter.Info with { Drill = true } }] }));
        var drillOver = Assert.Throws<ArgumentException>(() => store.Save(PanicOverShelter with { Lockdown = PanicOverShelter.Lockdown! with { Drill = true } }));

        Assert.Contains("Suspended scenario 1 ('shelter-east') is a drill", suspendedDrill.Message, StringComparison.Ordinal);
        Assert.Contains("A drill cannot run over suspended scenarios", drillOver.Message, StringComparison.Ordinal);
        Assert.Equal(PanicOverShelter, store.Load());
    }

    [Fact]
    public void Normal_mode_with_suspensions_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicOverShelter);

        var ex = Assert.Throws<ArgumentException>(() => store.Save(SafetyState.Initial with { Suspensions = [Shelter] }));

        Assert.Contains("Normal", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PanicOverShelter, store.Load());
    }

    [Fact]
    public void A_suspension_in_mode_normal_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicOverShelter);

        var ex = Assert.Throws<ArgumentException>(() => store.Save(PanicOverShelter with { Suspensions = [Shelter, Shelter with { Mode = SiteMode.Normal }] }));

        Assert.Contains("Suspended scenario 2 ('shelter-east') has mode Normal", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PanicOverShelter, store.Load());
    }

    [Fact]
    public void A_suspension_with_an_empty_point_id_is_refused_at_save_since_it_would_load_as_no_point()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicOverShelter);

        var ex = Assert.Throws<ArgumentException>(() => store.Save(PanicOverShelter with { Suspensions = [Shelter with { Info = Shelter.Info with { Point = "" } }] }));

        Assert.Contains("Suspended scenario 1 ('shelter-east') has an empty point id", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PanicOverShelter, store.Load());
    }

    [Fact]
    public void A_suspended_mode_without_a_persisted_name_is_refused_at_save_and_the_old_state_kept()
    {
        using var database = JournalDatabase.Open(_path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(PanicOverShelter);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Save(PanicOverShelter with { Suspensions = [Shelter with { Mode = (SiteMode)42 }] }));

        Assert.Equal(PanicOverShelter, store.Load());
    }

    private SafetyState SaveAndReopen(SafetyState state)
    {
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(state);
        }

        return Reopen();
    }

    private SafetyState Reopen()
    {
        using var reopened = JournalDatabase.Open(_path);
        return new SqliteSafetyStateStore(reopened).Load();
    }

    private string Column()
    {
        using var raw = OpenRaw(_path);
        return Scalar<string>(raw, "SELECT suspended FROM safety_state WHERE id = 1;");
    }

    // Saves the panic lockdown over the shelter, damages the row, returns the refusal's message.
    private string LoadDamaged(string damage) => SqliteSafetyStateStoreTests.RefusalAfterDamage(_path, PanicOverShelter, damage);
}
