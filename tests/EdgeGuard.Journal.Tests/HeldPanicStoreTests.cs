using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The panic buttons held since their press was decided (<see cref="SafetyState.HeldPanics"/>) in
/// the <c>held_panics</c> column, saved in the same row and commit as the rest of the state: the
/// boot does not take a button stuck through the restart for a new press. NULL (a row from before
/// the column, or no record) loads as null, never as "none held", and empty text as none held.
/// </summary>
public sealed class HeldPanicStoreTests : IDisposable
{
    private static readonly SafetyState PanicLockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "panic-a", new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero)),
        SirenSounding: false,
        HeldPanics: ImmutableSortedSet.Create(StringComparer.Ordinal, "holdup-b", "panic-a"));

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public HeldPanicStoreTests() => _path = _temp.File("gateway.db");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_held_panic_buttons_survive_a_restart_exactly()
    {
        var loaded = SaveAndReopen(PanicLockdown);

        Assert.Equal(PanicLockdown, loaded);
        Assert.Equal(["holdup-b", "panic-a"], loaded.HeldPanics!);
        Assert.Equal("holdup-b;panic-a", Column());
    }

    [Fact]
    public void None_held_is_stored_as_empty_text_and_loads_as_recorded_and_empty()
    {
        var loaded = SaveAndReopen(PanicLockdown with { HeldPanics = ImmutableSortedSet.Create<string>(StringComparer.Ordinal) });

        Assert.NotNull(loaded.HeldPanics);
        Assert.Empty(loaded.HeldPanics);
        Assert.Equal(string.Empty, Column());
        Assert.NotEqual(PanicLockdown with { HeldPanics = null }, loaded);
    }

    [Fact]
    public void No_record_is_stored_as_null_and_loads_as_no_record()
    {
        var loaded = SaveAndReopen(PanicLockdown with { HeldPanics = null });

        Assert.Null(loaded.HeldPanics);
        Assert.Equal(PanicLockdown with { HeldPanics = null }, loaded);
        using var database = JournalDatabase.Open(_path);
        Assert.Equal(1L, database.Read(c => Scalar<long>(c, "SELECT count(*) FROM safety_state WHERE held_panics IS NULL;")));
    }

    [Fact]
    public void A_version_18_journal_is_upgraded_and_its_row_loads_with_no_record()
    {
        var lockdown = PanicLockdown with { HeldPanics = null };
        using (var database = JournalDatabase.Open(_path))
        {
            new SqliteSafetyStateStore(database).Save(PanicLockdown);
        }

        using (var raw = OpenRaw(_path))
        {
            Execute(raw, JournalDatabaseTests.DropMigration20 + " " + JournalDatabaseTests.DropMigration19 + " PRAGMA user_version = 18;");
        }

        using var reopened = JournalDatabase.Open(_path);

        Assert.Equal(lockdown, new SqliteSafetyStateStore(reopened).Load());
        Assert.Equal((long)JournalDatabase.SchemaVersion, reopened.Read(c => Scalar<long>(c, "PRAGMA user_version;")));
    }

    [Theory]
    [InlineData("panic-a;", "unreadable held panic button ''")]
    [InlineData(";panic-a", "unreadable held panic button ''")]
    [InlineData("panic-a;panic-a", "unreadable held panic button 'panic-a'")]
    public void A_damaged_record_is_refused_naming_the_entry(string text, string expected)
    {
        var refusal = SqliteSafetyStateStoreTests.RefusalAfterDamage(_path, PanicLockdown, $"UPDATE safety_state SET held_panics = '{text}';");

        Assert.Contains(expected, refusal, StringComparison.Ordinal);
    }

    private SafetyState SaveAndReopen(SafetyState state) => SqliteSafetyStateStoreTests.SaveAndReopen(_path, state);

    private string Column() => SqliteSafetyStateStoreTests.SafetyColumn(_path, "held_panics");
}
