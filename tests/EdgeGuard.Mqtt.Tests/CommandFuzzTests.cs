using System.Globalization;
using System.Text;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Random and mutated command payloads: nothing is accepted, everything is answered and journaled,
/// nothing crashes: 10,000 through the subscriber's handler (with retained ones, which would stay on
/// a broker) and 10,000 over real Mosquitto (about 3 s).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandFuzzTests(ITestOutputHelper output)
{
    private const int HandlerCases = 10_000;
    private const int BrokerCases = 10_000;

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "false", "0", "-0", "1e3", "0.5", "18446744073709551616",
        "\"id\"", "\"type\"", "\"lockdown\"", "\"all-clear\"", "\"args\"", "\"signature\"", "\"operator\"", "\"sup.jones\"", "\"site\"", "\"site-1\"",
        "\"gateway\"", "\"gw-1\"", "\"issued_at\"", "\"expires_at\"", "\"2026-11-23T19:05:00.000Z\"", " ", "\n", "/*", "é", "\u2028", "\uFEFF",
    ];

    /// <summary>A payload derived from <paramref name="valid"/> or made up, by one of several strategies.</summary>
    private static (byte[] Payload, bool Retain) Next(Random random, byte[] valid)
    {
        var retain = random.Next(20) == 0;
        switch (random.Next(9))
        {
            case 0: // random bytes
                var bytes = new byte[random.Next(0, 600)];
                random.NextBytes(bytes);
                return (bytes, retain);
            case 1: // random JSON-ish tokens
                var text = new StringBuilder();
                for (var i = random.Next(1, 60); i > 0; i--)
                {
                    text.Append(Fragments[random.Next(Fragments.Length)]);
                }

                return (Encoding.UTF8.GetBytes(text.ToString()), retain);
            case 2: // flip bits in a few bytes
                var flipped = (byte[])valid.Clone();
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return (flipped, retain);
            case 3: // delete a range
                var start = random.Next(valid.Length);
                var length = random.Next(1, Math.Min(40, valid.Length - start) + 1);
                return ([.. valid[..start], .. valid[(start + length)..]], retain);
            case 4: // insert random printable characters
                var at = random.Next(valid.Length + 1);
                var inserted = Encoding.UTF8.GetBytes(Fragments[random.Next(Fragments.Length)]);
                return ([.. valid[..at], .. inserted, .. valid[at..]], retain);
            case 5: // truncate
                return (valid[..random.Next(valid.Length)], retain);
            case 6: // replace one character of a string value (signature, id, operator, times)
                var replaced = (byte[])valid.Clone();
                var index = random.Next(replaced.Length);
                replaced[index] = (byte)"0123456789abcdefABCDEF+/=-:.TZ"[random.Next(30)];
                return (replaced, retain);
            case 7: // duplicate a region (duplicate members, trailing data)
                var from = random.Next(valid.Length);
                var to = Math.Min(valid.Length, from + random.Next(1, 80));
                var where = random.Next(valid.Length + 1);
                return ([.. valid[..where], .. valid[from..to], .. valid[where..]], retain);
            default: // huge or deeply nested
                return random.Next(2) == 0
                    ? (Encoding.UTF8.GetBytes(new string('[', random.Next(10, 5000))), retain)
                    : (new byte[random.Next(8_193, 20_000)], retain);
        }
    }

    [Fact]
    public async Task Ten_thousand_random_and_mutated_payloads_through_the_handler_are_all_rejected_and_journaled()
    {
        await using var gateway = new CommandHarness(output, quiet: true);
        var valid = gateway.Sign(CommandType.Lockdown, ttl: TimeSpan.FromMinutes(10));
        // The original goes first, so a mutation that only changes spacing or member order (still
        // a valid signature) is refused as the replay it is; a "mutation" that changed nothing is
        // the original again, answered with its final result.
        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], (await gateway.Handler.HandleAsync(valid, false, CancellationToken.None)).Select(r => r.Result));
        var random = new Random(5);
        var codes = new Dictionary<string, int>();

        for (var i = 0; i < HandlerCases; i++)
        {
            var (payload, retain) = Next(random, valid);
            var results = await gateway.Handler.HandleAsync(payload, retain, CancellationToken.None);
            var result = Assert.Single(results);
            if (!retain && payload.AsSpan().SequenceEqual(valid))
            {
                Assert.Equal((CommandResultKind.Done, null), result);
                continue;
            }

            Assert.True(result.Result == CommandResultKind.Rejected, $"case {i} was accepted: {Encoding.UTF8.GetString(payload)}");
            Assert.False(string.IsNullOrEmpty(result.Reason));
            var code = result.Reason![..result.Reason.IndexOf(':', StringComparison.Ordinal)];
            codes[code] = codes.GetValueOrDefault(code) + 1;
        }

        output.WriteLine(string.Join(", ", codes.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        Assert.Single(gateway.Executor.Executed);
        // Every attempt audited: journaled on its own, or (past the flood allowance of a window)
        // counted in a summary record, which the flush writes now (RejectionAudit).
        await gateway.Handler.Rejections.FlushAsync();
        // Verbatim copies of the original (a mutation that changed nothing) past the 20th are
        // counted too, and summed up in one command.repeated with their copies (RepeatAudit).
        await gateway.Handler.Repeats.FlushAsync();
        var repeats = gateway.Journal.Events.OfType<CommandRepeated>().ToList();
        // A counted window also journaled its notice, which is no attempt of its own.
        var summaries = gateway.Journal.Events.OfType<CommandRejected>().Where(e => e.Detail.Contains("not journaled one by one", StringComparison.Ordinal)).ToList();
        var notices = gateway.Journal.Events.OfType<CommandRejected>().Count(e => e.Detail.Contains("further ones are answered and counted", StringComparison.Ordinal));
        var counted = summaries.Sum(e => int.Parse(e.Detail[..e.Detail.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
        Assert.NotEmpty(summaries);
        Assert.Equal(summaries.Count, notices);
        var attempts = gateway.Journal.Events.Count - repeats.Count + repeats.Sum(r => r.Copies) - summaries.Count - notices + counted;
        Assert.Equal(HandlerCases + 1, attempts);
        Assert.True(codes.Count >= 6, "the fuzzer should reach many different checks");
    }

    [Fact]
    public async Task Ten_thousand_fuzzed_payloads_over_the_broker_are_each_answered_and_the_gateway_keeps_serving()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, quiet: true);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var valid = gateway.Sign(CommandType.Lockdown, ttl: TimeSpan.FromMinutes(10));
        Assert.Equal(["accepted", "done"], (await office.SendAndWaitAsync(valid, "original", count: 2)).Select(r => r.Result));
        var random = new Random(55);
        var copies = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < BrokerCases; i++)
        {
            var (payload, retain) = Next(random, valid);
            if (payload.AsSpan().SequenceEqual(valid))
            {
                copies.Add($"fuzz-{i}");
            }

            // Retained fuzz would stay on the broker; retained commands are covered elsewhere.
            await office.SendAsync(payload, $"fuzz-{i}", retain: false);
        }

        await Eventually.TrueAsync(() => office.Results.Count(r => r.Correlation!.StartsWith("fuzz-", StringComparison.Ordinal)) >= BrokerCases, TimeSpan.FromSeconds(60), "an answer to every fuzzed payload");
        var fuzzed = office.Results.Where(r => r.Correlation!.StartsWith("fuzz-", StringComparison.Ordinal)).ToList();
        Assert.Equal(BrokerCases, fuzzed.Count);
        // A verbatim copy is a redelivery: answered with the original's final result, not executed.
        Assert.All(fuzzed, r => Assert.Equal(copies.Contains(r.Correlation!) ? "done" : "rejected", r.Result));
        Assert.Equal(BrokerCases, fuzzed.Select(r => r.Correlation).Distinct().Count());
        Assert.Single(gateway.Executor.Executed);

        var after = await office.SendAndWaitAsync(gateway.Sign(CommandType.Rebirth), "after", count: 2);
        Assert.Equal(["accepted", "done"], after.Select(r => r.Result));
    }
}
