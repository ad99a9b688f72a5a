using System.Text.Json;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

public sealed class CommandEventDataTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);

    [Fact]
    public void A_received_command_names_id_type_operator_and_role()
    {
        var received = new CommandReceived(At, "3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", CommandType.AllClear, "sup.jones", OperatorRole.Supervisor);
        var fields = EventDataWriter.Describe(received);

        Assert.Equal(("command.received", Severity.Warning), (received.Type, received.Severity));
        Assert.Null(fields.Point);
        Assert.Equal(
            """{"command":"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90","commandType":"all-clear","operator":"sup.jones","role":"supervisor"}""",
            fields.DataJson);
    }

    [Fact]
    public void A_rejected_command_keeps_what_it_claimed_and_why()
    {
        var forged = new CommandRejected(At, "3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", CommandType.Lockdown, "sup.jones", CommandRejection.BadSignature, "signature does not verify");
        var garbage = new CommandRejected(At, "", null, null, CommandRejection.Malformed, "payload is not JSON");

        Assert.Equal(Severity.Alarm, forged.Severity);
        Assert.Equal(Severity.Warning, garbage.Severity);
        Assert.Equal(
            """{"command":"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90","commandType":"lockdown","operator":"sup.jones","rejection":"bad-signature","reason":"bad-signature: signature does not verify"}""",
            EventDataWriter.Describe(forged).DataJson);
        Assert.Equal(
            """{"command":"","commandType":null,"operator":null,"rejection":"malformed","reason":"malformed: payload is not JSON"}""",
            EventDataWriter.Describe(garbage).DataJson);
    }

    [Fact]
    public void An_overlong_reason_is_cut_to_the_schema_limit()
    {
        var rejected = new CommandRejected(At, "", null, null, CommandRejection.Malformed, new string('x', 2000));

        using var data = JsonDocument.Parse(EventDataWriter.Describe(rejected).DataJson);
        Assert.Equal(1024, data.RootElement.GetProperty("reason").GetString()!.Length);
    }
}
