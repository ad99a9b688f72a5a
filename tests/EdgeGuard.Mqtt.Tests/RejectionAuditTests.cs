using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A flood of rejected commands from anyone who can publish on the command topic: every one is
/// answered; the first of each window and kind are journaled one by one, the first counted one is
/// announced durably, the rest are summed up in one record per kind.
/// </summary>
public sealed class RejectionAuditTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly byte[] Junk = "{not json"u8.ToArray();

    [Fact]
    public async Task Junk_past_the_allowance_is_answered_announced_once_counted_and_summed_up_at_the_windows_end()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        var answers = new List<CommandResultKind>();

        for (var i = 0; i < 100; i++)
        {
            answers.AddRange((await gateway.Handler.HandleAsync(Junk, retained: false, CancellationToken.None)).Select(r => r.Result));
        }

        // A real command in the middle of a flood is journaled and executed as ever.
        var real = await gateway.Handler.HandleAsync(gateway.Sign(CommandType.Lockdown), retained: false, CancellationToken.None);

        Assert.Equal(100, answers.Count);
        Assert.All(answers, a => Assert.Equal(CommandResultKind.Rejected, a));
        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], real.Select(r => r.Result));
        var rejected = gateway.Journal.Events.OfType<CommandRejected>().ToList();
        Assert.Equal(RejectionAudit.Allowance + 1, rejected.Count);
        var notice = rejected[^1];
        Assert.StartsWith("more than 20 unreadable rejected commands within 10 s (a flood on the command topic)", notice.Detail, StringComparison.Ordinal);
        Assert.Equal(("", CommandRejection.Malformed), (notice.CommandId, notice.Rejection));
        Assert.Equal(80, gateway.Handler.Rejections.Counted); // the announced one is counted too

        clock.Advance(RejectionAudit.Window);
        var summary = await NextRejectedAsync(gateway, RejectionAudit.Allowance + 1);

        Assert.StartsWith("80 more unreadable rejected command(s) (malformed 80) from ", summary.Detail, StringComparison.Ordinal);
        Assert.Contains("were answered but not journaled one by one: more than 20 within 10 s", summary.Detail, StringComparison.Ordinal);
        Assert.Equal(0, gateway.Handler.Rejections.Counted);

        // A new window: journaled one by one again.
        await gateway.Handler.HandleAsync(Junk, retained: false, CancellationToken.None);
        Assert.Equal(RejectionAudit.Allowance + 3, gateway.Journal.Events.OfType<CommandRejected>().Count());
    }

    [Fact]
    public async Task Junk_cannot_push_forged_commands_out_of_their_own_records_and_their_summary_stays_an_alarm_naming_the_operator()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        for (var i = 0; i < 50; i++)
        {
            await gateway.Handler.HandleAsync(Junk, retained: false, CancellationToken.None);
        }

        for (var i = 0; i < RejectionAudit.Allowance + 5; i++)
        {
            // sup.jones's name, another key: a forged signature, each its own payload.
            await gateway.Handler.HandleAsync(gateway.Sign(key: gateway.Stranger), retained: false, CancellationToken.None);
        }

        // Made-up names past the allowance: they must not push the real operator out of the summary.
        for (var i = 0; i < 8; i++)
        {
            await gateway.Handler.HandleAsync(gateway.Sign(@operator: $"nobody-{i}-{new string('x', 200)}", key: gateway.Stranger), retained: false, CancellationToken.None);
        }

        var forged = gateway.Journal.Events.OfType<CommandRejected>().Where(e => e.Rejection == CommandRejection.BadSignature).ToList();
        Assert.Equal(RejectionAudit.Allowance + 1, forged.Count); // 20 on their own, and the notice
        Assert.All(forged, e => Assert.Equal(Severity.Alarm, e.Severity));
        Assert.All(forged.Take(RejectionAudit.Allowance), e => Assert.Equal("sup.jones", e.Operator));

        await gateway.Handler.Rejections.FlushAsync();

        var summaries = gateway.Journal.Events.OfType<CommandRejected>().Where(e => e.Detail.Contains("not journaled one by one", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, summaries.Count);
        var signed = Assert.Single(summaries, s => s.Detail.Contains(" claimed rejected", StringComparison.Ordinal));
        Assert.StartsWith("13 more claimed rejected command(s) (unknown-operator 8, bad-signature 5) from ", signed.Detail, StringComparison.Ordinal);
        Assert.Contains("(a flood on the command topic); claimed operators 'sup.jones' 5, 'nobody-0-xxx", signed.Detail, StringComparison.Ordinal);
        Assert.EndsWith("…' 1 and more", signed.Detail, StringComparison.Ordinal); // names cut to 64 characters
        Assert.Equal((CommandRejection.UnknownOperator, Severity.Alarm), (signed.Rejection, signed.Severity)); // the most frequent alarm
    }

    [Fact]
    public async Task Forgeries_cannot_push_a_refusal_only_a_real_key_could_cause_out_of_the_journals_own_records()
    {
        // Before, forged signatures (no key needed) and refusals of payloads a key verified shared
        // one allowance and budget: a forgery every 18 s kept it used up, and a stolen key's
        // refused command was left to a summary with no id. A captured command sent again needs
        // no key either, so it counts with the forgeries.
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        var captured = gateway.Sign(gateway: "gw-annex"); // a real command for another gateway, seen on its topic
        for (var i = 0; i < RejectionAudit.Allowance + 5; i++)
        {
            await gateway.Handler.HandleAsync(gateway.Sign(key: gateway.Stranger), retained: false, CancellationToken.None);
            await gateway.Handler.HandleAsync(captured, retained: false, CancellationToken.None); // sent again: no key needed
        }

        Assert.Contains(gateway.Journal.Events.OfType<CommandRejected>(), e => e.Rejection == CommandRejection.WrongGateway);

        // A guard's key signing what a guard may not send.
        await gateway.Handler.HandleAsync(
            gateway.Sign(CommandType.DrillStart, "guard.smith", gateway.Guard, args: CommandHarness.Args("{\"scenario\":\"drill-1\"}")), retained: false, CancellationToken.None);

        var refused = Assert.Single(gateway.Journal.Events.OfType<CommandRejected>(), e => e.Rejection == CommandRejection.RoleNotAllowed);
        Assert.Equal("guard.smith", refused.Operator);
        Assert.NotEmpty(refused.CommandId);
    }

    [Fact]
    public async Task Rejections_counted_when_the_subscriber_stops_are_journaled_before_it_ends_not_lost()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, quiet: true);
        await gateway.StartAsync();
        for (var i = 0; i < RejectionAudit.Allowance + 4; i++)
        {
            await gateway.Handler.HandleAsync(Junk, retained: false, CancellationToken.None);
        }

        Assert.Equal(4, gateway.Handler.Rejections.Counted);

        await gateway.Subscriber!.StopAsync(CancellationToken.None);

        Assert.Equal(0, gateway.Handler.Rejections.Counted);
        Assert.StartsWith(
            "4 more unreadable rejected command(s) (malformed 4) from ",
            gateway.Journal.Events.OfType<CommandRejected>().Last().Detail,
            StringComparison.Ordinal);
    }

    // A slow, steady flood just under the window's allowance (2 a second of each kind) journaled
    // every rejection: some 345,000 rows a day, cycling the journal in days. A long-term budget per
    // kind bounds the individual records; the rest are counted and summed up, so that the
    // individual records and the summaries' counts add up to every rejection, none lost.
    [Fact]
    public async Task A_day_of_a_slow_flood_journals_at_most_the_budget_one_by_one_and_sums_up_the_rest()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        var journaled = new List<(CommandRejection Code, string Text)>();
        var audit = new RejectionAudit(clock, (code, text) =>
        {
            journaled.Add((code, text));
            return Task.CompletedTask;
        });
        var day = TimeSpan.FromHours(24);
        var step = TimeSpan.FromMilliseconds(250);
        var (onItsOwn, notices, admitted) = (new Dictionary<bool, int> { [false] = 0, [true] = 0 }, 0, 0);

        for (var at = TimeSpan.Zero; at < day; at += step)
        {
            // Alternating kinds: 2 a second each, under 20 in 10 s.
            var parsed = admitted % 2 == 1;
            var admission = audit.Admit(parsed ? CommandRejection.BadSignature : CommandRejection.Malformed, parsed ? "sup.jones" : null);
            admitted++;
            onItsOwn[parsed] += admission.OnItsOwn ? 1 : 0;
            notices += admission.Notice is null ? 0 : 1;
            clock.Advance(step);
        }

        await audit.FlushAsync();

        Assert.Equal(345_600, admitted);
        var budget = RejectionAudit.Budget * (1 + (int)(day / RejectionAudit.BudgetPeriod));
        Assert.All(onItsOwn.Values, n => Assert.InRange(n, 1, budget));
        var summaries = journaled.Where(j => j.Text.Contains("not journaled one by one", StringComparison.Ordinal)).ToList();
        Assert.All(summaries, s => Assert.Contains($"more than {RejectionAudit.Budget} within 60 min", s.Text, StringComparison.Ordinal));
        var summed = summaries.Sum(s => int.Parse(s.Text[..s.Text.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(admitted, onItsOwn[false] + onItsOwn[true] + summed);
        // Notices (the handler journals them) and summaries are records too: one of each per kind
        // and interval, not one per window.
        Assert.Equal(summaries.Count, journaled.Count);
        var intervals = 2 * (int)(day / RejectionAudit.BudgetSummaryInterval);
        Assert.InRange(notices, 2, intervals + 2);
        Assert.InRange(summaries.Count, 2, intervals + 2);
        Assert.Equal(0, audit.Counted);
    }

    // The budget is of records journaled one by one: a burst of 500 in one window journals its
    // allowance (20) and counts the rest. Every rejection took a token, counted or not, so that
    // burst used up the hour's 200 and the next windows' first rejections were only counted.
    [Fact]
    public void A_burst_takes_from_the_hourly_budget_only_the_records_it_journaled_one_by_one()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        var audit = new RejectionAudit(clock, (_, _) => Task.CompletedTask);

        var burst = Enumerable.Range(0, 500).Count(_ => audit.Admit(CommandRejection.BadSignature, "sup.jones").OnItsOwn);
        clock.Advance(RejectionAudit.Window + TimeSpan.FromSeconds(1));
        var next = Enumerable.Range(0, RejectionAudit.Allowance).Select(_ => audit.Admit(CommandRejection.BadSignature, "sup.jones")).ToList();

        Assert.Equal(RejectionAudit.Allowance, burst);
        // 180 tokens left (and a little refill): the next window journals its allowance again.
        Assert.All(next, a => Assert.True(a.OnItsOwn, $"only counted; notice: {a.Notice}"));
    }

    // A `retained` rejection is decided before the operator is looked up, so it says nothing of
    // whether the name has a key: made-up names sent with the retain flag were counted as real
    // operators, named ahead of a real operator whose signature was forged, and pushed it out.
    [Fact]
    public async Task Retained_payloads_with_made_up_names_cannot_push_a_forged_real_operator_out_of_the_summary()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, quiet: true, time: clock);
        // Use up the window's allowance of the "claimed" kind.
        for (var i = 0; i < RejectionAudit.Allowance; i++)
        {
            await gateway.Handler.HandleAsync(gateway.Sign(@operator: $"filler-{i}", key: gateway.Stranger), retained: true, CancellationToken.None);
        }

        // A forged command in a real supervisor's name: counted.
        await gateway.Handler.HandleAsync(gateway.Sign(key: gateway.Stranger), retained: false, CancellationToken.None);
        // Made-up names with the retain flag, twice each.
        for (var i = 0; i < 6; i++)
        {
            for (var copy = 0; copy < 2; copy++)
            {
                await gateway.Handler.HandleAsync(gateway.Sign(@operator: $"made-up-{i}", key: gateway.Stranger), retained: true, CancellationToken.None);
            }
        }

        await gateway.Handler.Rejections.FlushAsync();
        var summary = gateway.Journal.Events.OfType<CommandRejected>().Last(e => e.Detail.Contains("not journaled one by one", StringComparison.Ordinal));
        output.WriteLine(summary.Detail);
        Assert.Contains("'sup.jones' 1", summary.Detail, StringComparison.Ordinal);
        Assert.Contains("(retained 12, bad-signature 1)", summary.Detail, StringComparison.Ordinal);
    }

    // The made-up names of a flood are tracked up to a bound (64), whatever their code: distinct
    // names (up to 256 characters each) with the retain flag were all kept for a whole window, 10
    // min when the hourly budget ran out (some 340 MB at 1,000 a second).
    [Fact]
    public void Made_up_names_with_the_retain_flag_are_tracked_within_the_bound()
    {
        var clock = new TimerRecordingClock(DateTimeOffset.UtcNow);
        var audit = new RejectionAudit(clock, (_, _) => Task.CompletedTask);
        for (var i = 0; i < 10_000; i++)
        {
            audit.Admit(CommandRejection.Retained, $"made-up-{i}-{new string('x', 200)}");
        }

        output.WriteLine($"names tracked: {audit.NamesTracked}");
        Assert.InRange(audit.NamesTracked, 0, 64);
        Assert.Equal(10_000 - RejectionAudit.Allowance, audit.Counted);
    }

    // A claimed operator name is cut to 64 UTF-16 units in a summary: a cut through an emoji (a
    // surrogate pair at units 63 and 64) left a lone surrogate, which is not valid UTF-8 on the wire.
    [Fact]
    public async Task A_summary_cuts_a_claimed_operator_name_without_splitting_a_surrogate_pair()
    {
        var texts = new List<string>();
        var audit = new RejectionAudit(TimeProvider.System, (_, text) =>
        {
            lock (texts)
            {
                texts.Add(text);
            }

            return Task.CompletedTask;
        });
        var name = new string('a', 63) + "\U0001F600" + "tail";
        for (var i = 0; i < RejectionAudit.Allowance + 5; i++)
        {
            audit.Admit(CommandRejection.BadSignature, name);
        }

        await audit.FlushAsync();
        var summary = texts.Last();
        output.WriteLine(summary);
        Assert.Contains($"'{new string('a', 63)}…' 5", summary, StringComparison.Ordinal);
        Assert.False(HasLoneSurrogate(summary), "the summary holds a lone surrogate");
    }

    // The summary is journaled from the window's timer: wait (bounded) for the record after the first skip ones.
    private static async Task<CommandRejected> NextRejectedAsync(CommandHarness gateway, int skip)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (gateway.Journal.Events.OfType<CommandRejected>().Skip(skip).FirstOrDefault() is { } summary)
            {
                return summary;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("no summary was journaled");
    }

    // An oracle of its own, not a copy of StrictJson's: a strict UTF-8 encoder refuses a lone surrogate.
    private static bool HasLoneSurrogate(string text)
    {
        try
        {
            _ = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(text);
            return false;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return true;
        }
    }
}
