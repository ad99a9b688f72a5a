using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A drill start held back on the broker past the office's newer start and stop, or a lockdown
/// held back past the all-clear that ended the lockdown, delivered while still valid, through
/// the controller's loop: answered rejected as superseded, journaled as <c>command.refused</c>,
/// and the locks stay open.
/// </summary>
public sealed class SupersededCommandControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a")],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly ControllerHarness _h = new(Site, _ => new QuietStore());

    // Signed now by the harness's clock, valid for a minute.
    private VerifiedCommand Signed(CommandType type, params (string Key, JsonItem Value)[] args) => SignedBy("sup-1", type, args);

    private VerifiedCommand SignedBy(string op, CommandType type, params (string Key, JsonItem Value)[] args) =>
        new(new CommandEnvelope(Guid.NewGuid().ToString(), type, "site-t", "gw-t", op, _h.Time.GetUtcNow(), _h.Time.GetUtcNow().AddMinutes(1),
            new JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)),
            ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])), OperatorRole.Supervisor);

    private VerifiedCommand DrillStart() => Signed(CommandType.DrillStart, ("scenario", new JsonStringItem("lockdown")));

    [Fact]
    public async Task A_drill_start_delivered_after_a_newer_stop_is_answered_rejected_and_journaled_as_refused()
    {
        await _h.BootAsync();
        var heldBack = DrillStart();
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await _h.ExecuteAsync(DrillStart())).Done);
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await _h.ExecuteAsync(Signed(CommandType.DrillStop))).Done);
        Assert.False(_h.Driver.GetOutputLevel(10));
        _h.Time.Advance(TimeSpan.FromSeconds(5));

        await AssertRefusedAsSupersededAsync(heldBack);
        Assert.False(_h.Driver.GetOutputLevel(10), "the drill's lock stays open");
    }

    [Fact]
    public async Task A_lockdown_delivered_after_the_all_clear_that_ended_the_lockdown_is_answered_rejected_and_journaled_as_refused()
    {
        await _h.BootAsync();
        var heldBack = Signed(CommandType.Lockdown);
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await _h.ExecuteAsync(Signed(CommandType.Lockdown))).Done);
        Assert.True(_h.Driver.GetOutputLevel(10), "the lockdown locks the door");
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await _h.ExecuteAsync(SignedBy("sup-1", CommandType.AllClear))).Done);
        Assert.True((await _h.ExecuteAsync(SignedBy("sup-2", CommandType.AllClear))).Done);
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
        _h.Time.Advance(TimeSpan.FromSeconds(5));

        await AssertRefusedAsSupersededAsync(heldBack);
        Assert.False(_h.Driver.GetOutputLevel(10), "the door stays open");
    }

    // The held-back command, delivered now: answered rejected, journaled as refused, the site left in normal mode.
    private async Task AssertRefusedAsSupersededAsync(VerifiedCommand heldBack)
    {
        var late = await _h.ExecuteAsync(heldBack);

        Assert.False(late.Done);
        Assert.StartsWith("superseded: ", late.Detail, StringComparison.Ordinal);
        var refused = Assert.IsType<CommandRefused>(_h.Events.Events[^1]);
        Assert.Equal((heldBack.Command.Id, late.Detail), (refused.CommandId, refused.Reason));
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private sealed class QuietStore : ISafetyStateStore
    {
        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state)
        {
        }
    }
}
