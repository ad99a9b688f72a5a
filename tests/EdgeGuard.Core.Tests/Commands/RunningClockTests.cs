using EdgeGuard.Core.Commands;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>
/// The replay clock and the rule the replay stores forget by, and the verifier over the in-memory
/// store when the wall clock jumps. Wall times are passed as <c>now</c>; the fake provider's
/// <see cref="FakeTimeProvider.Advance"/> is real time passing (its monotonic clock).
/// </summary>
public sealed class RunningClockTests : IDisposable
{
    private static readonly DateTimeOffset T = CommandKit.Now;
    private readonly CommandKit _kit = new();
    private readonly FakeTimeProvider _time = new(T);

    public void Dispose() => _kit.Dispose();

    [Fact]
    public void The_clock_counts_only_monotonic_time_from_where_it_resumed()
    {
        var clock = new RunningClock(_time);
        Assert.False(clock.IsRunning);
        Assert.Throws<InvalidOperationException>(() => clock.Elapsed);

        _time.Advance(TimeSpan.FromHours(1)); // before Resume: not counted
        clock.Resume(TimeSpan.FromMinutes(7));
        _time.Advance(TimeSpan.FromSeconds(90));

        Assert.True(clock.IsRunning);
        Assert.Equal(TimeSpan.FromSeconds(7 * 60 + 90), clock.Elapsed);
        // Whatever wall time the verifier passes, the clock reading is the same.
        Assert.Equal(clock.Elapsed, clock.HorizonAt(T.AddDays(1)).Elapsed);
        Assert.Equal(T.AddDays(-3), clock.HorizonAt(T.AddDays(-3)).Wall);
        Assert.Throws<InvalidOperationException>(() => clock.Resume(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunningClock(_time).Resume(TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public void An_id_is_forgotten_only_once_both_clocks_are_past_it()
    {
        var window = new ReplayWindow(T.AddSeconds(-30), T.AddMinutes(15).AddSeconds(30));
        var recorded = new ReplayHorizon(T, TimeSpan.FromMinutes(2));
        var keepUntil = recorded.KeepUntil(window);
        Assert.Equal(TimeSpan.FromMinutes(18), keepUntil);

        // The wall clock stepped a day ahead: not yet, too little real time passed.
        Assert.False(new ReplayHorizon(T.AddDays(1), TimeSpan.FromMinutes(3)).HasPassed(window.Until, keepUntil));
        // Real time passed but the wall clock was set back into the window: not yet either.
        Assert.False(new ReplayHorizon(T.AddMinutes(1), TimeSpan.FromHours(1)).HasPassed(window.Until, keepUntil));
        // At the very edge of either: kept.
        Assert.False(new ReplayHorizon(window.Until, TimeSpan.FromHours(1)).HasPassed(window.Until, keepUntil));
        Assert.False(new ReplayHorizon(T.AddDays(1), keepUntil).HasPassed(window.Until, keepUntil));
        // Both past: forgotten.
        Assert.True(new ReplayHorizon(window.Until.AddTicks(1), keepUntil + TimeSpan.FromTicks(1)).HasPassed(window.Until, keepUntil));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorded.KeepUntil(new ReplayWindow(T, T.AddTicks(-1))));
    }

    /// <summary>A command signed by sup.jones, issued at <paramref name="issued"/> and valid 15 minutes.</summary>
    private byte[] Signed(DateTimeOffset issued) =>
        CommandKit.Signed(_kit.Supervisor, CommandKit.Unsigned(CommandType.AllClear, issued: issued, ttl: TimeSpan.FromMinutes(15)));

    [Fact]
    public void Ids_are_still_forgotten_once_their_window_has_really_passed()
    {
        var seen = new InMemorySeenCommandIds(_time);
        var verifier = new CommandVerifier(_kit.Keys, seen, _kit.Options);
        Assert.True(verifier.Verify(Signed(T), retained: false, T).Accepted);

        // Remembered from issued − 5 min to expires + 5 min (the largest skew a gateway may be
        // configured with, not the 30 s in force: the store outlives a restart that raises it),
        // 25 minutes, on both clocks.
        var window = TimeSpan.FromMinutes(15) + (2 * CommandVerifierOptions.MaxClockSkew);
        Assert.Equal(TimeSpan.FromMinutes(25), window);
        _time.Advance(window);
        Assert.True(verifier.Verify(Signed(T + window), retained: false, T + window).Accepted);
        Assert.Equal(2, seen.Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(verifier.Verify(Signed(T + window + TimeSpan.FromSeconds(1)), retained: false, T + window + TimeSpan.FromSeconds(1)).Accepted);
        Assert.Equal(2, seen.Count);
    }
}
