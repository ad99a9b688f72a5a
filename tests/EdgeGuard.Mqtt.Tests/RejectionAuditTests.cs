using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A flood of rejected commands from anyone who can publish on the command topic: every one is
/// answered, the first of each window journaled one by one, the rest summed up in one record.
/// </summary>
public sealed class RejectionAuditTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_flood_of_rejections_is_answered_in_full_journaled_one_by_one_up_to_the_allowance_and_summed_up_at_the_windows_end()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        var forged = gateway.Sign(key: gateway.Stranger); // sup.jones's name, another key: bad signature
        var answers = new List<CommandResultKind>();

        for (var i = 0; i < 90; i++)
        {
            answers.AddRange((await gateway.Handler.HandleAsync("{not json"u8.ToArray(), retained: false, CancellationToken.None)).Select(r => r.Result));
        }

        for (var i = 0; i < 10; i++)
        {
            answers.AddRange((await gateway.Handler.HandleAsync(forged, retained: false, CancellationToken.None)).Select(r => r.Result));
        }

        // A real command in the middle of a flood is journaled and executed as ever.
        var real = await gateway.Handler.HandleAsync(gateway.Sign(CommandType.Lockdown), retained: false, CancellationToken.None);

        Assert.Equal(100, answers.Count);
        Assert.All(answers, a => Assert.Equal(CommandResultKind.Rejected, a));
        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], real.Select(r => r.Result));
        Assert.Equal(RejectionAudit.Allowance, gateway.Journal.Events.OfType<CommandRejected>().Count());
        Assert.Single(gateway.Journal.Events.OfType<CommandReceived>());
        Assert.Equal(80, gateway.Handler.Rejections.Counted);

        clock.Advance(RejectionAudit.Window);
        var summary = await SummaryAsync(gateway);

        Assert.StartsWith("80 more rejected command(s) (malformed 70, bad-signature 10) from ", summary.Detail, StringComparison.Ordinal);
        Assert.Contains("were answered but not journaled one by one: more than 20 rejections within 10 s", summary.Detail, StringComparison.Ordinal);
        // The first rejections of the window went out one by one, at their own severity (alarms).
        Assert.Equal(("", CommandRejection.Unavailable), (summary.CommandId, summary.Rejection));
        Assert.Equal(0, gateway.Handler.Rejections.Counted);

        // A new window: journaled one by one again.
        await gateway.Handler.HandleAsync("{not json"u8.ToArray(), retained: false, CancellationToken.None);
        Assert.Equal(RejectionAudit.Allowance + 2, gateway.Journal.Events.OfType<CommandRejected>().Count());
    }

    [Fact]
    public async Task Rejections_counted_when_the_gateway_stops_are_journaled_by_the_flush_not_lost()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        for (var i = 0; i < RejectionAudit.Allowance + 3; i++)
        {
            await gateway.Handler.HandleAsync("{not json"u8.ToArray(), retained: false, CancellationToken.None);
        }

        await gateway.Handler.Rejections.FlushAsync();

        Assert.StartsWith("3 more rejected command(s) (malformed 3)", (await SummaryAsync(gateway)).Detail, StringComparison.Ordinal);
        clock.Advance(RejectionAudit.Window);
        Assert.Equal(RejectionAudit.Allowance + 1, gateway.Journal.Events.OfType<CommandRejected>().Count()); // the timer adds nothing more
    }

    // The summary is journaled from the window's timer: wait (bounded) for it.
    private static async Task<CommandRejected> SummaryAsync(CommandHarness gateway)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (gateway.Journal.Events.OfType<CommandRejected>().Skip(RejectionAudit.Allowance).FirstOrDefault() is { } summary)
            {
                return summary;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("no summary was journaled");
    }
}
