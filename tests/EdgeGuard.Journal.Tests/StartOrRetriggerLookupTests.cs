using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// <see cref="EventJournal.HasStartOrRetriggerAfter"/>: after a restart the office's
/// acknowledgement of the latest lockdown start or retrigger silences the siren, an older not.
/// </summary>
public sealed class StartOrRetriggerLookupTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 19, 0, 0, TimeSpan.Zero);
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Only_a_later_start_or_retrigger_of_the_same_mode_counts_and_a_restart_keeps_them()
    {
        await _h.PublishAndFlush(
            new LockdownStarted(T0, "panic-button", "panic-a"),
            new LockdownRetriggered(T0.AddSeconds(5), "panic-button", "panic-b"),
            new PointActivated(T0.AddSeconds(6), "door-a", Core.Site.PointKind.DoorContact, "a"),
            new LockdownStarted(T0.AddSeconds(7), "keyswitch", "key-evac", SiteMode.Evacuation, "evacuate"));
        _h.Reopen();

        Assert.True(_h.Journal.HasStartOrRetriggerAfter(1, "lockdown"), "the retrigger at seq 2 is later");
        Assert.False(_h.Journal.HasStartOrRetriggerAfter(2, "lockdown"), "a door and another mode's start are not");
        Assert.False(_h.Journal.HasStartOrRetriggerAfter(4, "evacuation"));
        Assert.True(_h.Journal.HasStartOrRetriggerAfter(3, "evacuation"));
    }
}
