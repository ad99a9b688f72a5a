using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The command result payload and the subscriber's option checks (no broker needed).</summary>
public sealed class CommandPayloadTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 19, 5, 0, 210, TimeSpan.Zero);

    // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void A_result_has_the_contracts_fields_in_order_with_null_reason_when_accepted()
    {
        Assert.Equal(
            """{"command_id":"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90","payload_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","result":"accepted","reason":null,"ts":"2026-11-23T19:05:00.210Z"}""",
            Encoding.UTF8.GetString(CommandResultPayload.Write("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", AbcSha256, CommandResultKind.Accepted, null, At)));
    }

    // Which box answered: two gateways with one card answer one gateway id (DuplicateGatewayTests).
    [Fact]
    public void A_result_names_the_answering_process_instance_last()
    {
        Assert.Equal(
            """{"command_id":"c1","payload_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","result":"done","reason":null,"ts":"2026-11-23T19:05:00.210Z","instance":"3f9a0c1d7e5b2468"}""",
            Encoding.UTF8.GetString(CommandResultPayload.Write("c1", AbcSha256, CommandResultKind.Done, null, At, "3f9a0c1d7e5b2468")));
    }

    [Fact]
    public void The_payload_hash_is_lower_case_hex_sha256_of_the_bytes_in_one_segment_or_several()
    {
        var first = new Segment("a"u8.ToArray());
        var last = first.Append("bc"u8.ToArray());
        var split = new ReadOnlySequence<byte>(first, 0, last, 2);

        Assert.False(split.IsSingleSegment);
        Assert.Equal(AbcSha256, CommandResultPayload.PayloadSha256(split));
        Assert.Equal(AbcSha256, CommandResultPayload.PayloadSha256(new ReadOnlySequence<byte>("abc"u8.ToArray())));
        Assert.Equal(AbcSha256, CommandResultPayload.PayloadSha256("abc"u8));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CommandResultPayload.PayloadSha256(ReadOnlySequence<byte>.Empty));
    }

    [Fact]
    public void Over_long_ids_and_reasons_are_cut_to_the_schema_and_a_rejection_always_has_a_reason()
    {
        using var cut = JsonDocument.Parse(CommandResultPayload.Write(new string('i', 300), AbcSha256, CommandResultKind.Rejected, new string('r', 1023) + "😀", At));
        using var empty = JsonDocument.Parse(CommandResultPayload.Write("", AbcSha256, CommandResultKind.Rejected, "", At));

        Assert.Equal(256, cut.RootElement.GetProperty("command_id").GetString()!.Length);
        Assert.Equal(1023, cut.RootElement.GetProperty("reason").GetString()!.Length); // the emoji's pair is not split
        Assert.Equal("rejected", empty.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Written_results_match_the_contract_schema_which_requires_the_payload_hash()
    {
        const string Results = "edgeguard/v1/site-1/gw-1/command-results";
        var hash = CommandResultPayload.PayloadSha256("not json"u8);
        string[] written =
        [
            Encoding.UTF8.GetString(CommandResultPayload.Write("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", AbcSha256, CommandResultKind.Accepted, null, At)),
            Encoding.UTF8.GetString(CommandResultPayload.Write("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", AbcSha256, CommandResultKind.Done, "approval counted", At)),
            Encoding.UTF8.GetString(CommandResultPayload.Write("", hash, CommandResultKind.Rejected, "malformed: payload is not JSON", At)),
        ];
        // The schema must hold the field, or the check above proves nothing.
        var withoutHash = written[0].Replace($"\"payload_sha256\":\"{AbcSha256}\",", "", StringComparison.Ordinal);
        Assert.NotEqual(written[0], withoutHash);

        var (validCode, validReport) = await ContractTool.ValidateAsync(written.Select(p => (Results, p)));
        var (brokenCode, brokenReport) = await ContractTool.ValidateAsync([(Results, withoutHash)]);

        Assert.True(validCode == 0, validReport);
        Assert.EndsWith("3 passed, 0 failed", validReport.TrimEnd(), StringComparison.Ordinal);
        Assert.NotEqual(0, brokenCode);
        Assert.Contains("must have required property 'payload_sha256'", brokenReport, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_that_would_lose_commands_are_refused()
    {
        await using var harness = new CommandHarness(null);
        var broker = PublisherHarness.Plain(1883);

        Assert.Throws<ArgumentOutOfRangeException>(() => new CommandSubscriber(
            new CommandSubscriberOptions { Broker = broker, QueueCapacity = 0 }, harness.Handler, TimeProvider.System, NullLogger<CommandSubscriber>.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CommandSubscriber(
            new CommandSubscriberOptions { Broker = broker, MaxPacketBytes = 4096 }, harness.Handler, TimeProvider.System, NullLogger<CommandSubscriber>.Instance));
        Assert.Throws<ArgumentException>(() => new CommandSubscriber(
            new CommandSubscriberOptions { Broker = broker with { Host = "" } }, harness.Handler, TimeProvider.System, NullLogger<CommandSubscriber>.Instance));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
