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

        Assert.True(_h.Journal.HasStartOrRetriggerAfter(1, "lockdown", drill: false), "the retrigger at seq 2 is later");
        Assert.False(_h.Journal.HasStartOrRetriggerAfter(2, "lockdown", drill: false), "a door and another mode's start are not");
        Assert.False(_h.Journal.HasStartOrRetriggerAfter(4, "evacuation", drill: false));
        Assert.True(_h.Journal.HasStartOrRetriggerAfter(3, "evacuation", drill: false));
    }

    [Fact]
    public async Task A_drill_start_after_a_real_start_is_the_latest_drill_alert_and_leaves_the_real_one_the_latest_real_alert()
    {
        // A real lockdown read late, after the boot gave up on a slow card, is put back over a
        // drill started since: its siren sounds for the real start journaled before the restart,
        // and only that one silences it (the decider lets no drill alert silence a real siren).
        await _h.PublishAndFlush(
            new LockdownStarted(T0, "panic-button", "panic-a"),
            new LockdownStarted(T0.AddSeconds(60), "office-command", null) { Drill = true });
        var ids = _h.All().Select(r => r.Id).ToList();
        _h.Reopen();

        Assert.False(_h.Journal.HasStartOrRetriggerAfter(1, "lockdown", drill: false), "the drill's start is no later real alert");
        Assert.True(_h.Journal.HasStartOrRetriggerAfter(1, "lockdown", drill: true));
        Assert.Equal((false, true), (_h.Journal.FindAlarm(ids[0])!.Drill, _h.Journal.FindAlarm(ids[0])!.LatestStartOrRetrigger));
        Assert.Equal((true, true), (_h.Journal.FindAlarm(ids[1])!.Drill, _h.Journal.FindAlarm(ids[1])!.LatestStartOrRetrigger));
    }

    [Fact]
    public async Task A_refusal_that_sounded_the_siren_again_is_the_latest_alert_after_a_restart_and_one_that_did_not_is_none()
    {
        const string Outranked = "'shelter-a' (rank 50) does not outrank the running 'lockdown' (rank 100)";
        await _h.PublishAndFlush(
            new LockdownStarted(T0, "panic-button", "panic-a"),
            new LockdownStartRefused(T0.AddSeconds(5), "keyswitch", "key-shelter", "shelter-a", SiteMode.ShelterInPlace, "lockdown", Outranked),
            new LockdownStartRefused(T0.AddSeconds(6), "panic-button", "panic-b", "annex", SiteMode.Lockdown, "site", "outranked")
            {
                SirenRestarted = true,
            },
            new LockdownStartRefused(T0.AddSeconds(7), "keyswitch", "key-shelter", "shelter-a", SiteMode.ShelterInPlace, "lockdown", Outranked));
        var ids = _h.All().Select(r => r.Id).ToList();
        _h.Reopen();

        var start = _h.Journal.FindAlarm(ids[0])!;
        var quiet = _h.Journal.FindAlarm(ids[1])!;
        var sounded = _h.Journal.FindAlarm(ids[2])!;

        Assert.True(_h.Journal.HasStartOrRetriggerAfter(1, "lockdown", drill: false), "the refusal at seq 3 sounded the siren again");
        Assert.False(_h.Journal.HasStartOrRetriggerAfter(3, "lockdown", drill: false), "the refusal at seq 4 did not");
        Assert.Equal(("lockdown.started", false), (start.Type, start.LatestStartOrRetrigger));
        Assert.Equal((false, false), (quiet.SirenRestarted, quiet.LatestStartOrRetrigger));
        Assert.Equal(("lockdown.start-refused", true, true, "panic-b", Severity.Alarm),
            (sounded.Type, sounded.SirenRestarted, sounded.LatestStartOrRetrigger, sounded.Point, sounded.Severity));
        Assert.Null(_h.Journal.FindAlarm(Guid.CreateVersion7()));
    }

    [Fact]
    public async Task After_a_takeover_and_a_resume_no_alert_before_the_resume_nor_of_an_ended_episode_is_the_latest()
    {
        // After a restart the decider silences the siren for the latest alert by this order alone
        // (its stamps may come from a boot clock behind): the running scenario's start, a
        // takeover's or a resume's, must come after every alert of what ran before it.
        await _h.PublishAndFlush(
            new LockdownStarted(T0, "panic-button", "panic-a"),
            new LockdownRetriggered(T0.AddSeconds(5), "panic-button", "panic-b"),
            new LockdownStarted(T0.AddSeconds(10), "keyswitch", "key-evac", SiteMode.Evacuation, "evacuate", "lockdown"),
            // A press for the suspended lockdown, refused under the evacuation: its siren sounds again.
            new LockdownStartRefused(T0.AddSeconds(15), "panic-button", "panic-a", "lockdown", SiteMode.Lockdown, "evacuate", "outranked")
            {
                Suspended = true,
                SirenRestarted = true,
            },
            new LockdownCleared(T0.AddSeconds(20), "key-a", T0.AddSeconds(10), SiteMode.Evacuation, "evacuate"),
            new LockdownStarted(T0.AddSeconds(20), LockdownStarted.ResumedCause, "key-a", SiteMode.Lockdown, "lockdown", "evacuate"));
        var resumed = _h.All().Select(r => r.Id).ToList();
        // That lockdown ends; a new one is started by a press stamped earlier (a clock stepped back).
        await _h.PublishAndFlush(
            new LockdownCleared(T0.AddSeconds(30), "key-a", T0),
            new LockdownStarted(T0.AddSeconds(-60), "panic-button", "panic-b"));
        var ids = _h.All().Select(r => r.Id).ToList();
        _h.Reopen();

        Assert.Equal(
            [false, false, false, false],
            new[] { ids[0], ids[1], ids[3], resumed[^1] }.Select(id => _h.Journal.FindAlarm(id)!.LatestStartOrRetrigger));
        Assert.Equal(("lockdown.started", true), (_h.Journal.FindAlarm(ids[^1])!.Type, _h.Journal.FindAlarm(ids[^1])!.LatestStartOrRetrigger));
    }
}
