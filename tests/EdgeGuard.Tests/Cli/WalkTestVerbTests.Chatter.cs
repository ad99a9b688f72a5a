using EdgeGuard.Cli;

namespace EdgeGuard.Tests.Cli;

/// <summary>The walk test runs the site's supervision policy: a contact that chatters fails it.</summary>
public sealed partial class WalkTestVerbTests
{
    /// <summary>
    /// A loose terminal on the hall door's contact: 12 filtered changes within a few seconds, over the
    /// gateway's chatter limit (supervision: 8 in 10 s), which in service raises fault.chatter and
    /// suppresses the door. Every other point is walked normally; the test must not pass.
    /// </summary>
    [Fact]
    public async Task A_contact_that_chatters_during_the_walk_test_fails_it_and_the_screen_says_so()
    {
        var walk = StartAsync(CancellationToken.None, "--config", WriteConfig(HallPoints));
        await using var sim = await ConnectAsync(walk);

        for (var i = 1; i <= 6; i++)
        {
            await SimAsync(sim, "open door-hall", "seen door-hall", occurrence: 2 * i - 1);
            await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2 * i);
        }

        await SimAsync(sim, "press panic-hall", "seen panic-hall");
        await SimAsync(sim, "release panic-hall", "seen panic-hall", occurrence: 2);
        await SimAsync(sim, "press key-hall", "seen key-hall");
        await SimAsync(sim, "release key-hall", "seen key-hall", occurrence: 2);

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        // Shown as it happens, with what it would mean in service, then in the report and the verdict.
        Assert.Contains("fault door-hall: chatter, 8 changes within 10 s (fault.chatter): in service it would be suppressed", Screen);
        Assert.Contains("  CHATTER   door-hall", Screen);
        Assert.Contains("FAILED: chatter during the test: door-hall", Screen);
        Assert.DoesNotContain("PASSED", Screen);
        Assert.Equal(1, Count(Screen, "(fault.chatter)"));
    }
}
