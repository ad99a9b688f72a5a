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

    [Fact]
    public void A_result_has_the_contracts_fields_in_order_with_null_reason_when_accepted()
    {
        Assert.Equal(
            """{"command_id":"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90","result":"accepted","reason":null,"ts":"2026-11-23T19:05:00.210Z"}""",
            Encoding.UTF8.GetString(CommandResultPayload.Write("3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", CommandResultKind.Accepted, null, At)));
    }

    [Fact]
    public void Over_long_ids_and_reasons_are_cut_to_the_schema_and_a_rejection_always_has_a_reason()
    {
        using var cut = JsonDocument.Parse(CommandResultPayload.Write(new string('i', 300), CommandResultKind.Rejected, new string('r', 1023) + "😀", At));
        using var empty = JsonDocument.Parse(CommandResultPayload.Write("", CommandResultKind.Rejected, "", At));

        Assert.Equal(256, cut.RootElement.GetProperty("command_id").GetString()!.Length);
        Assert.Equal(1023, cut.RootElement.GetProperty("reason").GetString()!.Length); // the emoji's pair is not split
        Assert.Equal("rejected", empty.RootElement.GetProperty("reason").GetString());
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
}
