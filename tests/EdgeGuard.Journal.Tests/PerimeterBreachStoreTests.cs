using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The perimeter points whose breach was raised (<see cref="SafetyState.Breaches"/>) in the
/// <c>perimeter_breaches</c> column, saved in the same row and commit as the rest of the state:
/// the boot judges an active point it does not hold. NULL (a row from before the column) loads as
/// <see cref="SafetyState.BreachesUnrecorded"/>, never as "none breached".
/// </summary>
public sealed class PerimeterBreachStoreTests : IDisposable
{
    private static readonly SafetyState BreachLockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("perimeter-breach", "fence-a", new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero)),
        SirenSounding: true,
        ThreatLevel: 5,
        Breaches: ImmutableSortedSet.Create(StringComparer.Ordinal, "fence-a", "fence-c"));

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public PerimeterBreachStoreTests() => _path = _temp.File("gateway.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_breached_points_survive_a_restart_exactly()
    {
        var loaded = SaveAndReopen(BreachLockdown);

        Assert.Equal(BreachLockdown, loaded);
        Assert.Equal(["fence-a", "fence-c"], loaded.Breaches!);
        Assert.False(loaded.BreachesUnrecorded);
        Assert.Equal("fence-a;fence-c", Column());
    }

    [Fact]
    public void None_breached_is_stored_as_empty_text_and_loads_as_recorded_and_empty()
    {
        var loaded = SaveAndReopen(BreachLockdown with { Breaches = null });

        Assert.Null(loaded.Breaches);
        Assert.False(loaded.BreachesUnrecorded);
        Assert.Equal(string.Empty, Column());
    }

    [Fact]
    public void A_version_15_journal_is_upgraded_and_its_row_loads_as_unrecorded()
    {
        var lockdown = BreachLockdown with { Breaches = null };
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(lockdown);
        }

        using (var raw = OpenRaw(_path))
        {
            Execute(raw, "ALTER TABLE safety_state DROP COLUMN perimeter_breaches; " + JournalDatabaseTests.DropMigration20 + " " + JournalDatabaseTests.DropMigration19 + " " + JournalDatabaseTests.DropMigration18 + " " + JournalDatabaseTests.DropMigration17 + " PRAGMA user_version = 15;");
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(lockdown with { BreachesUnrecorded = true }, new SqliteSafetyStateStore(reopened).Load());
        Assert.Equal((long)JournalDatabase.SchemaVersion, reopened.Read(c => Scalar<long>(c, "PRAGMA user_version;")));
    }

    [Fact]
    public void An_unrecorded_state_saved_again_stays_unrecorded()
    {
        var loaded = SaveAndReopen(BreachLockdown with { Breaches = null, BreachesUnrecorded = true });

        Assert.True(loaded.BreachesUnrecorded);
    }

    [Theory]
    [InlineData("fence-a;", "unreadable perimeter breach ''")]
    [InlineData(";fence-a", "unreadable perimeter breach ''")]
    [InlineData("fence-a;fence-a", "unreadable perimeter breach 'fence-a'")]
    public void A_damaged_record_is_refused_naming_the_entry(string text, string expected)
    {
        var refusal = SqliteSafetyStateStoreTests.RefusalAfterDamage(_path, BreachLockdown, $"UPDATE safety_state SET perimeter_breaches = '{text}';");

        Assert.Contains(expected, refusal, StringComparison.Ordinal);
    }

    private SafetyState SaveAndReopen(SafetyState state) => SqliteSafetyStateStoreTests.SaveAndReopen(_path, state);

    private string Column() => SqliteSafetyStateStoreTests.SafetyColumn(_path, "perimeter_breaches");
}
