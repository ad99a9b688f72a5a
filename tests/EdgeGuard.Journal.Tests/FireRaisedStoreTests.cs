using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The fire inputs that raised <c>fire.alarm</c> under the saved release
/// (<see cref="SafetyState.FireRaised"/>) in the <c>fire_raised</c> column (schema 20), saved in
/// the same row as the release: the boot raises only an active fire input not recorded there.
/// NULL (a row from before the column, or none recorded) loads as null.
/// </summary>
public sealed class FireRaisedStoreTests : IDisposable
{
    private static readonly SafetyState Released = new(
        SiteMode.Normal,
        null,
        SirenSounding: false,
        LifeSafety.FireEgressReleased,
        FireRaised: ImmutableSortedSet.Create(StringComparer.Ordinal, "fire-panel", "fire-2"));

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public FireRaisedStoreTests() => _path = _temp.File("gateway.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_raised_fire_inputs_survive_a_restart_exactly()
    {
        var loaded = SqliteSafetyStateStoreTests.SaveAndReopen(_path, Released);

        Assert.Equal(Released, loaded);
        Assert.Equal(["fire-2", "fire-panel"], loaded.FireRaised!);
        Assert.Equal("fire-2;fire-panel", SqliteSafetyStateStoreTests.SafetyColumn(_path, "fire_raised"));
    }

    [Fact]
    public void None_recorded_is_stored_as_null_and_a_reset_clears_the_stored_record()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            var store = new SqliteSafetyStateStore(database);
            store.Save(Released);
            // The reset: the release and its record go in one save.
            store.Save(SafetyState.Initial);
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(reopened).Load());
        Assert.Null(new SqliteSafetyStateStore(reopened).Load().FireRaised);
        Assert.Equal(1L, reopened.Read(c => Scalar<long>(c, "SELECT count(*) FROM safety_state WHERE fire_raised IS NULL;")));
    }

    [Fact]
    public void A_version_19_journal_is_upgraded_and_its_release_loads_with_no_record()
    {
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(Released);
        }

        using (var raw = OpenRaw(_path))
        {
            Execute(raw, DropMigration20 + " PRAGMA user_version = 19;");
        }

        using var reopened = JournalDatabase.Open(_path);
        var loaded = new SqliteSafetyStateStore(reopened).Load();

        // The release is kept; which inputs raised is not known, so the first boot raises each
        // active fire input once (FireRaisedRestartTests in EdgeGuard.Core.Tests).
        Assert.Equal(LifeSafety.FireEgressReleased, loaded.LifeSafety);
        Assert.Null(loaded.FireRaised);
        Assert.Equal(Released with { FireRaised = null }, loaded);
        Assert.Equal(20L, reopened.Read(c => Scalar<long>(c, "PRAGMA user_version;")));
    }

    [Theory]
    [InlineData("fire-panel;", "unreadable raised fire input ''")]
    [InlineData(";fire-panel", "unreadable raised fire input ''")]
    [InlineData("fire-panel;fire-panel", "unreadable raised fire input 'fire-panel'")]
    public void A_damaged_record_is_refused_naming_the_entry(string text, string expected)
    {
        var refusal = SqliteSafetyStateStoreTests.RefusalAfterDamage(_path, Released, $"UPDATE safety_state SET fire_raised = '{text}';");

        Assert.Contains(expected, refusal, StringComparison.Ordinal);
    }
}
