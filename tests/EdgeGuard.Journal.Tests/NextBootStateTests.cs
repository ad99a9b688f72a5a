using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The state a tool that runs instead of the gateway (the walk test) holds: the one the gateway's next
/// start boots in, by the take-over's rule. A volatile journal that ran after the card's journal (its
/// seqs above) and saved a state wins; an older one, or one that saved nothing, does not.
/// </summary>
public sealed class NextBootStateTests : IDisposable
{
    private static readonly SafetyState Lockdown = new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-a", DateTimeOffset.UnixEpoch), SirenSounding: false);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Card => _dir.File("card.db");

    private string Volatile => _dir.File("volatile.db");

    [Fact]
    public void A_volatile_journal_above_the_card_and_holding_a_state_wins()
    {
        Write(Card, seqTop: 10, SafetyState.Initial);
        Write(Volatile, seqTop: 20, Lockdown);

        Assert.Equal((Lockdown, true), JournalOpener.NextBootState(Card, Volatile));
    }

    [Fact]
    public void A_volatile_journal_below_the_card_is_older_and_the_card_wins()
    {
        Write(Card, seqTop: 20, Lockdown);
        Write(Volatile, seqTop: 10, SafetyState.Initial);

        Assert.Equal((Lockdown, false), JournalOpener.NextBootState(Card, Volatile));
    }

    // The card's journal replaced (a damaged file) and the start killed before its take-over: its
    // floor, from the clock, is above the volatile journal's top, yet it never ran.
    [Fact]
    public void A_card_journal_made_in_place_of_a_damaged_one_and_not_yet_taken_over_loses_to_the_volatile_one()
    {
        Write(Card, seqTop: 20, SafetyState.Initial);
        using (var card = JournalDatabase.Open(Card))
        {
            card.InTransaction(transaction => JournalDatabase.SetReplacePending(transaction, pending: true));
        }

        Write(Volatile, seqTop: 10, Lockdown);

        Assert.Equal((Lockdown, true), JournalOpener.NextBootState(Card, Volatile));
    }

    [Fact]
    public void A_volatile_journal_that_saved_no_state_never_overrides_the_card()
    {
        Write(Card, seqTop: 10, Lockdown);
        Write(Volatile, seqTop: 20, saved: null);

        Assert.Equal((Lockdown, false), JournalOpener.NextBootState(Card, Volatile));
    }

    [Fact]
    public void Neither_journal_is_a_first_boot_and_a_lone_volatile_one_is_read()
    {
        Assert.Equal((SafetyState.Initial, false), JournalOpener.NextBootState(Card, Volatile));

        Write(Volatile, seqTop: 5, Lockdown);
        Assert.Equal((Lockdown, true), JournalOpener.NextBootState(Card, Volatile));
    }

    private static void Write(string path, long seqTop, SafetyState? saved)
    {
        using var database = JournalDatabase.Open(path);
        database.RaiseFloors(seqTop, 1, JournalGapCause.UncleanShutdown);
        if (saved is not null)
        {
            new SqliteSafetyStateStore(database).Save(saved);
        }
    }
}
