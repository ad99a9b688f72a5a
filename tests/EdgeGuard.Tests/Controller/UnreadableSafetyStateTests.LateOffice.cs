using System.Collections.Immutable;
using EdgeGuard.Controller;
using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// Office commands answered done while the boot's read hangs. Only one that decided a real
// scenario (started, ended or suspended one) is a decision a late read's scenario must not
// override; a threat level or a bypass changed since stands beside it. One that decides nothing
// (a rebirth an office console sends when the gateway comes back online, an acknowledgement of
// the boot's own fault, the threat level already in force) used to count as one too, and the
// lockdown read late was dropped: the doors stayed unlocked (review "cmds").
public sealed partial class UnreadableSafetyStateTests
{
    /// <summary>The test site with two threat levels, so the office can change the level.</summary>
    private static readonly SiteDefinition LevelSite = Site with
    {
        ThreatLevels =
        [
            new(1, "normal", [], BreachStartsLockdown: false, HeldOpen: null, []),
            new(2, "elevated", [], BreachStartsLockdown: false, HeldOpen: null, []),
        ],
    };

    [Fact]
    public async Task A_late_lockdown_is_put_back_after_a_rebirth_since_the_boot()
    {
        await BootIntoTheHungRead(_h);

        await Done(_h, Command(_h, CommandType.Rebirth, OperatorRole.Guard));

        await EndTheRead(_h);
        AssertPutBack(_h);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_after_the_boots_fault_is_acknowledged()
    {
        await BootIntoTheHungRead(_h);
        var fault = new JournaledAlarm(Guid.NewGuid(), "fault.safety-state-unreadable", _h.Time.GetUtcNow(), Severity.Critical, null);
        var acknowledge = Command(_h, CommandType.Acknowledge, OperatorRole.Guard, ("event_id", new JsonStringItem(fault.Id.ToString("D"))));

        var answer = await _h.Controller.ExecuteAsync(new OfficeCommandInput(acknowledge) { Acknowledged = fault }, CancellationToken.None)
            .WaitAsync(Patience);
        Assert.True(answer.Done, answer.Detail);

        await EndTheRead(_h);
        AssertPutBack(_h);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_after_the_threat_level_in_force_is_set_again()
    {
        await using var h = new ControllerHarness(LevelSite, _ => _store);
        await BootIntoTheHungRead(h);

        var answer = await Done(h, Command(h, CommandType.SetThreatLevel, OperatorRole.Supervisor, ("level", new JsonIntegerItem(1))));
        Assert.Contains("already", answer.Detail, StringComparison.Ordinal);

        await EndTheRead(h);
        AssertPutBack(h);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_beside_a_threat_level_the_office_changed_since_the_boot()
    {
        await using var h = new ControllerHarness(LevelSite, _ => _store);
        await BootIntoTheHungRead(h);

        await Done(h, Command(h, CommandType.SetThreatLevel, OperatorRole.Supervisor, ("level", new JsonIntegerItem(2))));

        await EndTheRead(h);
        // Before: not put back, the level counted as a decision over the lockdown. The level is
        // no decision about a scenario: the newer level stands beside the lockdown.
        AssertPutBack(h);
        Assert.Equal(2, h.Controller.Snapshot!.State.ThreatLevel);
        await Eventually.TrueAsync(() => _store.LastSaved is { Mode: SiteMode.Lockdown } && h.Controller.SafetySaverIdle, Patience, "the merged state never saved");
        Assert.Equal(2, _store.LastSaved!.ThreatLevel);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_beside_a_bypass_the_office_granted_since_the_boot()
    {
        await using var h = new ControllerHarness(DoorSite, _ => _store);
        await BootIntoTheHungRead(h);

        var until = WireTime.Format(h.Time.GetUtcNow().AddHours(1));
        await Done(h, Command(h, CommandType.Bypass, OperatorRole.Supervisor, ("point", new JsonStringItem("front-contact")), ("until", new JsonStringItem(until))));

        await EndTheRead(h);
        // Before: not put back. A bypass is no decision about a scenario: it stands beside it.
        AssertPutBack(h);
        Assert.True(h.Controller.Snapshot!.State.Bypasses.ContainsKey("front-contact"), "the bypass stands");
    }

    [Fact]
    public async Task A_late_read_does_not_bring_back_a_lockdown_after_an_office_lockdown_cleared_since_the_boot()
    {
        await BootIntoTheHungRead(_h);
        await Done(_h, Command(_h, CommandType.Lockdown, OperatorRole.Supervisor));
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Snapshot!.State.Mode);
        _h.Set("key", true);
        await _h.SettleAsync();
        // Back in normal mode, as at boot; but the office locked down and a guard cleared since.
        Assert.Equal(SafetyState.Initial, _h.Controller.Snapshot!.State.Safety);

        await EndTheRead(_h);
        AssertNotPutBack(_h);
    }

    [Fact]
    public async Task A_late_read_not_applied_is_saved_over_so_the_next_boot_does_not_bring_it_back()
    {
        // Before, nothing changed on site, so nothing was saved: the row kept level 2, which the
        // office was told is not in force, and the next boot put it back in force.
        await using var h = new ControllerHarness(LevelSite, _ => _store);
        _store.Holds = SafetyState.Initial with { ThreatLevel = 2 };
        _store.Hang = true;
        await h.BootAsync().WaitAsync(Patience);

        await EndTheRead(h);
        await Eventually.TrueAsync(() => h.Events.Events.OfType<SafetyStateUnreadable>().Any(u => u.ReadLate), Patience, "the late read's fault");
        Assert.False(h.Events.Events.OfType<SafetyStateUnreadable>().Last().Reapplied);
        await h.AdvanceInStepsAsync(TimeSpan.FromSeconds(5), saved: true);
        await Eventually.TrueAsync(() => _store.LastSaved is not null && h.Controller.SafetySaverIdle, Patience, "the state in force never saved");

        Assert.Equal(1, h.Controller.Snapshot!.State.ThreatLevel);
        Assert.Equal(h.Controller.Snapshot.State.Safety, _store.LastSaved);
        Assert.NotEqual(2, _store.LastSaved!.ThreatLevel);
    }

    private async Task BootIntoTheHungRead(ControllerHarness h)
    {
        _store.Holds = LockedDown;
        _store.Hang = true;
        await h.BootAsync().WaitAsync(Patience);
        Assert.Equal(SiteMode.Normal, h.Controller.Snapshot!.State.Mode);
    }

    private async Task EndTheRead(ControllerHarness h)
    {
        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await h.SettleAsync();
    }

    private static void AssertPutBack(ControllerHarness h)
    {
        // Before: mode normal, "not applied ... re-issue it": a command that decided nothing
        // counted as a decision, and the doors stayed unlocked.
        Assert.Equal(SiteMode.Lockdown, h.Controller.Snapshot!.State.Mode);
        Assert.Equal(LockedDown.Lockdown, h.Controller.Snapshot!.State.Lockdown);
        Assert.True(h.Driver.GetOutputLevel(LockLine), "the lockdown read late locks the door again");
        Assert.True(h.Events.Events.OfType<SafetyStateUnreadable>().Last().Reapplied);
    }

    private static void AssertNotPutBack(ControllerHarness h)
    {
        Assert.Equal(SiteMode.Normal, h.Controller.Snapshot!.State.Mode);
        Assert.Single(h.Events.Events.OfType<GatewayStarted>());
        var late = h.Events.Events.OfType<SafetyStateUnreadable>().Last();
        Assert.False(late.Reapplied);
        Assert.Contains("not applied", EventReason(late), StringComparison.Ordinal);
        Assert.Contains("re-issue", EventReason(late), StringComparison.Ordinal);
    }

    private static async Task<CommandOutcome> Done(ControllerHarness h, VerifiedCommand command)
    {
        var answer = await h.ExecuteAsync(command).WaitAsync(Patience);
        Assert.True(answer.Done, answer.Detail);
        return answer;
    }

    private static VerifiedCommand Command(ControllerHarness h, CommandType type, OperatorRole role, params (string Name, JsonItem Value)[] args)
    {
        var now = h.Time.GetUtcNow();
        var members = args.ToImmutableSortedDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal);
        var envelope = new CommandEnvelope(Guid.NewGuid().ToString(), type, h.Site.SiteId, h.Site.GatewayId, role == OperatorRole.Guard ? "guard-1" : "sup-1",
            now, now.AddMinutes(1), new JsonObjectItem(members), ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength]));
        return new VerifiedCommand(envelope, role);
    }
}
