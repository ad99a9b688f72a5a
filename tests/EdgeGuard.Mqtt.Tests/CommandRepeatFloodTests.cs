using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Captured authentic bytes republished on the command topic (any office certificate can read it)
/// for the command's whole lifetime: every copy answered, but the journal not flooded.
/// </summary>
public sealed class CommandRepeatFloodTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_thousand_verbatim_copies_are_all_answered_and_journaled_as_twenty_records_and_a_summary()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time, quiet: true);
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow, ttl: TimeSpan.FromMinutes(15));
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");
        Assert.Equal(CommandResultKind.Done, (await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None))[^1].Result);

        var answers = new List<CommandAttempt>();
        for (var i = 0; i < 1000; i++)
        {
            answers.Add(await gateway.Handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None));
        }

        Assert.All(answers, a => Assert.Equal((CommandResultKind.Done, "lockdown started", null), (a.Result, a.Reason, a.Command)));
        var oneByOne = gateway.Journal.Events.OfType<CommandRepeated>().ToList();
        Assert.Equal(RepeatAudit.Allowance, oneByOne.Count);
        Assert.All(oneByOne, e => Assert.Equal(1, e.Copies));

        // The rest are summed up once the summary interval is over: one record for 980 copies.
        time.Advance(RepeatAudit.SummaryInterval);
        await gateway.Handler.Repeats.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));
        var summary = Assert.Single(gateway.Journal.Events.OfType<CommandRepeated>().Skip(RepeatAudit.Allowance));
        Assert.Equal((1000 - RepeatAudit.Allowance, "done", "lockdown started"), (summary.Copies, summary.Answer, summary.Reason));
        Assert.Single(gateway.Executor.Executed);
    }

    [Fact]
    public async Task Copies_counted_and_not_yet_summed_up_are_journaled_at_a_stop()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time, quiet: true);
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow, ttl: TimeSpan.FromMinutes(15));
        await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None);
        for (var i = 0; i < RepeatAudit.Allowance + 5; i++)
        {
            await gateway.Handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);
        }

        await gateway.Handler.Repeats.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(5, gateway.Journal.Events.OfType<CommandRepeated>().Last().Copies);
        Assert.Equal(0, gateway.Handler.Repeats.Counted);
    }
}
