using System.CommandLine;
using EdgeGuard.Cli;
using EdgeGuard.Controller;
using EdgeGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// How long a walk test runs: the site is unprotected meanwhile, so a walk test always ends by itself
/// (4 h unless <c>--duration</c> says otherwise, at most 24 h), and a duration that is no number or
/// too large is an argument error, never a stack trace after the lock was taken and the outputs set.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    [Theory]
    [InlineData("999999999h")] // past TimeSpan.MaxValue
    [InlineData("1e400h")]     // infinity
    [InlineData("NaNs")]
    [InlineData("Infinitym")]
    public async Task A_duration_too_large_or_not_a_number_is_a_bad_duration_with_exit_1(string value)
    {
        var code = await EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", WriteConfig(HallPoints), "--duration", value])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen });

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"bad duration '{value}'", Screen);
        Assert.DoesNotContain(" at EdgeGuard", Screen); // no stack trace
    }

    [Theory]
    [InlineData("25h")]
    [InlineData("1200h")] // 50 days: past what a timer can wait
    public async Task A_duration_over_24_hours_is_refused_before_the_gateway_lock_is_taken(string value)
    {
        using var giveUp = new CancellationTokenSource(Patience); // a walk test let through would run for days
        var code = await EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", WriteConfig(HallPoints), "--duration", value])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen }, giveUp.Token);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"bad duration '{value}': more than 0 and at most 24h", Screen);
        Assert.False(File.Exists(Path.Combine(_dir, "state", GatewayLock.FileName)), "the gateway lock was taken");
    }

    [Fact]
    public async Task A_duration_over_24_hours_handed_to_the_verb_is_refused_before_the_lock_not_thrown_after_it()
    {
        var code = await WalkTestVerb.RunAsync(WriteConfig(HallPoints), simulate: true, TimeSpan.FromHours(1200), _screen, _screen, CancellationToken.None);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("edgeguard: cannot walk-test: --duration 1200h is over the 24h limit", Screen);
        Assert.False(File.Exists(Path.Combine(_dir, "state", GatewayLock.FileName)), "the gateway lock was taken");
        Assert.DoesNotContain("Walk test of site", Screen); // no line was opened
    }

    [Fact]
    public async Task Without_a_duration_it_says_so_at_start_and_ends_by_itself_after_4_hours_with_the_report()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var giveUp = new CancellationTokenSource(Patience * 2); // the report then says "stopped": a failure, not a hang
        var walk = Task.Run(() => WalkTestVerb.RunAsync(WriteConfig(HallPoints), simulate: true, duration: null, _screen, _screen, giveUp.Token,
            services => services.AddSingleton<TimeProvider>(time)));
        // The settle time runs on the fake clock: step it until the test watches (the socket is bound then).
        await Eventually.TrueAsync(() =>
        {
            time.Advance(SiteController.SettleTime);
            return File.Exists(Socket) || walk.IsCompleted;
        }, Patience, "the walk test watching");
        Assert.Contains("ends by itself after 4h (no --duration given; at most 24h)", Screen);

        time.Advance(TimeSpan.FromHours(4) - TimeSpan.FromSeconds(1));
        Assert.False(walk.IsCompleted, $"ended before its 4 h:\n{Screen}");
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Contains("Walk test report (duration over): 0 of 3 points seen.", Screen);
        Assert.EndsWith(WalkTest.WalkTestPrinter.GatewayStoppedLine + Environment.NewLine, Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duration_given_is_printed_at_start()
    {
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, "--config", WriteConfig(HallPoints), "--duration", "90m");
        await using (await ConnectAsync(walk))
        {
            stop.Cancel();
        }

        await walk.WaitAsync(Patience);
        Assert.Contains("ends by itself after 90m (--duration)", Screen);
    }
}
