using System.Text;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The request's MQTT 5 correlation data is echoed in every answer only up to
/// <see cref="CommandSubscriber.MaxCorrelationBytes"/>: anyone who may publish on the command topic
/// could otherwise make the gateway send up to 64 KiB of it with every answer, to every office
/// subscriber of command-results, whatever the 8 KiB cap on the payload. Above it the message is
/// still answered (with its command id and payload hash), without the correlation data, and the
/// answer's reason and the gateway's log say it was dropped.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandCorrelationTests(ITestOutputHelper output)
{
    private static string Sha256(byte[] payload) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload));

    [Fact]
    public async Task Junk_with_huge_correlation_data_is_answered_without_it()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var log = new RecordingLog<CommandSubscriber>(output);
        await using var gateway = new CommandHarness(output, broker.Port, subscriberLog: log);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var correlation = new string('c', 60_000);
        var junk = "x"u8.ToArray();

        await office.SendAsync(junk, correlation);

        var answer = await AnswerAboutAsync(office, junk);
        output.WriteLine($"answer: {answer.Payload.Length} payload bytes, {answer.CorrelationData?.Length ?? 0} correlation bytes");
        Assert.InRange(answer.CorrelationData?.Length ?? 0, 0, 1024);
        Assert.Null(answer.CorrelationData);
        Assert.Equal("rejected", answer.Result);
        Assert.StartsWith("malformed: ", answer.Reason, StringComparison.Ordinal);
        Assert.EndsWith("; correlation data not echoed: 60000 bytes, more than 1024", answer.Reason, StringComparison.Ordinal);
        var dropped = Assert.Single(log.Lines, l => l.EventId == 370);
        Assert.Equal(LogLevel.Warning, dropped.Level);
        Assert.Contains("60000 bytes of correlation data", dropped.Message, StringComparison.Ordinal);
    }

    // An office tool's mistake: the command still runs, and both answers name it by id and hash,
    // so the office can still tell from command-results what became of it.
    [Fact]
    public async Task A_command_with_correlation_data_over_the_limit_runs_and_is_answered_by_id_without_it_and_one_at_the_limit_gets_it_echoed()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var over = gateway.Sign(CommandType.Rebirth);
        var id = Encoding.UTF8.GetString(over).Split("\"id\":\"")[1].Split('"')[0];

        await office.SendAsync(over, new string('o', CommandSubscriber.MaxCorrelationBytes + 1));
        await Eventually.TrueAsync(() => office.Results.Count(r => r.CommandId == id) >= 2, TimeSpan.FromSeconds(15), "both answers");
        var atLimit = new string('l', CommandSubscriber.MaxCorrelationBytes);
        var echoed = await office.SendAndWaitAsync(gateway.Sign(CommandType.Rebirth), atLimit, count: 2);

        var answers = office.Results.Where(r => r.CommandId == id).ToList();
        Assert.Equal(["accepted", "done"], answers.Select(a => a.Result));
        Assert.All(answers, a => Assert.Null(a.CorrelationData));
        Assert.All(answers, a => Assert.Equal(Sha256(over), a.Json.GetProperty("payload_sha256").GetString()));
        Assert.All(answers, a => Assert.EndsWith("correlation data not echoed: 1025 bytes, more than 1024", a.Reason, StringComparison.Ordinal));
        Assert.All(echoed, a => Assert.Equal(atLimit, a.Correlation));
        Assert.Equal(["accepted", "done"], echoed.Select(a => a.Result));
        Assert.Equal(2, gateway.Executor.Executed.Count);
    }

    // The note goes at the end of the reason and the payload cuts the reason to 1,024 characters:
    // a long reason used to push the note out, and the answer had no correlation data and no word why.
    [Fact]
    public async Task The_note_survives_a_reason_as_long_as_the_contract_allows()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port);
        gateway.Executor.Answer = _ => new CommandExecution(true, new string('d', CommandResultPayload.MaxReasonLength + 100));
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var command = gateway.Sign(CommandType.Rebirth);

        await office.SendAsync(command, new string('o', CommandSubscriber.MaxCorrelationBytes + 1));

        var hash = Sha256(command);
        await Eventually.TrueAsync(() => office.Results.Count(r => r.Json.GetProperty("payload_sha256").GetString() == hash) >= 2, TimeSpan.FromSeconds(15), "both answers");
        var done = Assert.Single(office.Results, r => r.Result == "done");
        Assert.Null(done.CorrelationData);
        Assert.EndsWith("; correlation data not echoed: 1025 bytes, more than 1024", done.Reason, StringComparison.Ordinal);
        Assert.Equal(CommandResultPayload.MaxReasonLength, done.Reason!.Length);
        Assert.StartsWith("ddd", done.Reason, StringComparison.Ordinal);
    }

    private static async Task<ResultReceipt> AnswerAboutAsync(OfficeClient office, byte[] payload)
    {
        var hash = Sha256(payload);
        await Eventually.TrueAsync(() => office.Results.Any(r => r.Json.GetProperty("payload_sha256").GetString() == hash), TimeSpan.FromSeconds(15), "an answer about the payload");
        return Assert.Single(office.Results, r => r.Json.GetProperty("payload_sha256").GetString() == hash);
    }
}
