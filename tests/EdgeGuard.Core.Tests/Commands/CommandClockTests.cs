using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>
/// How the verifier reports an authentic command's times against the gateway's clock, and the
/// watch that turns a run of such refusals into one fault.clock and one fault.clock-restored.
/// </summary>
public sealed class CommandClockTests : IDisposable
{
    private readonly CommandKit _kit = new();
    private static readonly DateTimeOffset Now = CommandKit.Now;

    public void Dispose() => _kit.Dispose();

    private CommandVerdict Verify(CommandEnvelope command, bool forged = false) =>
        _kit.Verifier().Verify(CommandKit.Signed(forged ? _kit.Stranger : _kit.Supervisor, command), false, Now);

    [Fact]
    public void A_signed_command_issued_10_min_ahead_of_the_gateway_carries_its_clock_gap()
    {
        var verdict = Verify(CommandKit.Unsigned(issued: Now.AddMinutes(10)));

        Assert.Equal(CommandRejection.IssuedInFuture, verdict.Rejection);
        var clock = Assert.IsType<CommandClock>(verdict.Clock);
        Assert.False(clock.WithinSkew);
        Assert.Equal(("sup.jones", Now.AddMinutes(10), Now, TimeSpan.FromMinutes(10)), (clock.Operator, clock.IssuedAt, clock.Now, clock.Gap));
    }

    [Fact]
    public void A_forged_or_misaddressed_command_says_nothing_about_the_clock()
    {
        Assert.Null(Verify(CommandKit.Unsigned(issued: Now.AddMinutes(10)), forged: true).Clock);
        Assert.Null(Verify(CommandKit.Unsigned(issued: Now.AddMinutes(-20)), forged: true).Clock);
        Assert.Null(Verify(CommandKit.Unsigned(issued: Now.AddMinutes(10), gateway: "gw-2")).Clock);
    }

    [Fact]
    public void A_command_within_the_skew_says_the_clock_agrees_whatever_else_refuses_it()
    {
        Assert.True(Verify(CommandKit.Unsigned()).Clock?.WithinSkew);
        var guardAllClear = CommandKit.Signed(_kit.Guard, CommandKit.Unsigned(CommandType.AllClear, "guard.smith"));
        var refused = _kit.Verifier().Verify(guardAllClear, false, Now);
        Assert.Equal(CommandRejection.RoleNotAllowed, refused.Rejection);
        Assert.True(refused.Clock?.WithinSkew);
    }

    [Fact]
    public void The_watch_raises_once_per_episode_and_restores_at_the_next_command_within_the_skew()
    {
        var watch = new CommandClockWatch();
        var verifier = _kit.Verifier();
        CommandVerdict Signed(DateTimeOffset issued, bool forged = false) =>
            verifier.Verify(CommandKit.Signed(forged ? _kit.Stranger : _kit.Supervisor, CommandKit.Unsigned(issued: issued)), false, Now);

        var events = new List<DomainEvent?>
        {
            watch.Observe(Signed(Now.AddMinutes(10), forged: true), Now),
            watch.Observe(Signed(Now.AddMinutes(10)), Now),
            watch.Observe(Signed(Now.AddMinutes(10)), Now),
            watch.Observe(Signed(Now, forged: true), Now),
            watch.Observe(Signed(Now), Now),
            watch.Observe(Signed(Now), Now),
        };

        Assert.Equal([null, "fault.clock", null, null, "fault.clock-restored", null], events.Select(e => e?.Type));
        Assert.Equal(2, Assert.IsType<ClockRestored>(events[4]).Refused);
    }
}
