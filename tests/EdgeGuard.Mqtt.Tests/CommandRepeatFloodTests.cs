using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
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

    [Fact]
    public async Task At_a_stop_every_summary_is_queued_first_and_one_bounded_flush_covers_them_all()
    {
        // Three commands flooded, then the card hangs: the stop must not wait 5 s per command.
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time, quiet: true);
        var sink = new RecordingSink();
        var hung = false;
        var never = new TaskCompletionSource();
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway);
        var handler = new CommandHandler(
            new CommandVerifier(gateway.Keys, gateway.Seen, options), new FlushingCommandJournal(sink, () => hung ? never.Task : Task.CompletedTask, time),
            gateway.Executor, options.MaxPayloadBytes, time, NullLogger<CommandHandler>.Instance);
        for (var c = 0; c < 3; c++)
        {
            var payload = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow, ttl: TimeSpan.FromMinutes(15));
            await handler.HandleAsync(payload, retained: false, CancellationToken.None);
            for (var i = 0; i < RepeatAudit.Allowance + 2; i++)
            {
                await handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);
            }
        }

        Assert.Equal(6, handler.Repeats.Counted);
        hung = true;
        var flushing = handler.Repeats.FlushAsync();
        time.Advance(FlushingCommandJournal.FlushWait);
        await flushing.WaitAsync(TimeSpan.FromSeconds(15));

        // All three queued (written when the disk answers), after one wait.
        var summaries = sink.Events.OfType<CommandRepeated>().Where(e => e.Copies > 1).ToList();
        Assert.Equal(3, summaries.Count);
        Assert.All(summaries, e => Assert.Equal(2, e.Copies));
        Assert.Equal(0, handler.Repeats.Counted);
    }
}
