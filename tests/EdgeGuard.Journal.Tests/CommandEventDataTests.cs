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
    public void A_clock_fault_names_the_command_its_issued_at_the_gap_and_both_causes()
    {
        var fault = new ClockFault(At, "c-1", "sup.jones", CommandRejection.IssuedInFuture, At.AddMinutes(10), TimeSpan.FromMinutes(10));
        var expired = new ClockFault(At, "c-2", "sup.jones", CommandRejection.Expired, At.AddSeconds(-90.6), TimeSpan.FromSeconds(-90.6));

        Assert.Equal(("fault.clock", Severity.Alarm), (fault.Type, fault.Severity));
        using (var data = JsonDocument.Parse(EventDataWriter.Describe(fault).DataJson))
        {
            var root = data.RootElement;
            Assert.Equal(
                ["command", "operator", "rejection", "issuedAt", "gapSeconds", "reason"],
                root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(("c-1", "sup.jones", "issued-in-future", "2026-11-23T19:15:00.000Z", 600L),
                (root.GetProperty("command").GetString(), root.GetProperty("operator").GetString(), root.GetProperty("rejection").GetString(),
                root.GetProperty("issuedAt").GetString(), root.GetProperty("gapSeconds").GetInt64()));
            Assert.Equal(
                "command c-1 signed by 'sup.jones' was refused as issued-in-future: its issued_at 2026-11-23T19:15:00.000Z is "
                + "10 min 0 s ahead of the gateway's clock 2026-11-23T19:05:00.000Z; either the gateway's clock is wrong or an "
                + "old command was replayed. While the clock is wrong every office command is refused: check the gateway's "
                + "time source (timedatectl)",
                root.GetProperty("reason").GetString());
        }

        using var old = JsonDocument.Parse(EventDataWriter.Describe(expired).DataJson);
        Assert.Equal(-91, old.RootElement.GetProperty("gapSeconds").GetInt64());
        Assert.Contains("is 1 min 30 s behind the gateway's clock", old.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_clock_restoration_names_the_command_that_verified_and_how_many_were_refused()
    {
        var restored = new ClockRestored(At, "c-3", "sup.jones", 2);

        Assert.Equal(("fault.clock-restored", Severity.Info), (restored.Type, restored.Severity));
        Assert.Equal("""{"command":"c-3","operator":"sup.jones","refused":2}""", EventDataWriter.Describe(restored).DataJson);
    }

    [Fact]
    public void A_repeated_command_names_what_was_answered_again_and_is_no_alarm()
    {
        var done = new CommandRepeated(At, "3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90", CommandType.Lockdown, "sup.jones", "done", null);
        var refused = new CommandRepeated(At, "c-2", CommandType.AllClear, "sup.jones", "rejected", "a panic button is still held");

        Assert.Equal(("command.repeated", Severity.Info), (done.Type, done.Severity));
        Assert.Equal(
            """{"command":"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90","commandType":"lockdown","operator":"sup.jones","answer":"done","reason":null}""",
            EventDataWriter.Describe(done).DataJson);
        Assert.Equal(
            """{"command":"c-2","commandType":"all-clear","operator":"sup.jones","answer":"rejected","reason":"a panic button is still held"}""",
            EventDataWriter.Describe(refused).DataJson);
    }

    [Fact]
    public void A_summary_of_repeated_copies_says_how_many_it_stands_for()
    {
        var summary = new CommandRepeated(At, "c-3", CommandType.Lockdown, "sup.jones", "done", "lockdown started", Copies: 980);

        Assert.Equal(
            """{"command":"c-3","commandType":"lockdown","operator":"sup.jones","answer":"done","reason":"lockdown started","copies":980}""",
            EventDataWriter.Describe(summary).DataJson);
    }

    [Fact]
    public void An_unavailable_replay_store_is_journaled_as_a_warning_not_an_alarm()
    {
        var failed = new CommandRejected(At, "c-3", CommandType.Lockdown, "sup.jones", CommandRejection.Unavailable, "the replay store could not be written");

        Assert.Equal(Severity.Warning, failed.Severity);
        Assert.Contains("\"rejection\":\"unavailable\"", EventDataWriter.Describe(failed).DataJson, StringComparison.Ordinal);
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
    public void Bypass_acknowledge_and_rebirth_events_carry_their_contract_fields()
    {
        var bypassed = new PointBypassed(At, "fence-n", Core.Site.PointKind.Perimeter, "perimeter", At.AddHours(8), "tech;ana=1");
        var expired = new PointUnbypassed(At, "fence-n", Core.Site.PointKind.Perimeter, "perimeter", null);
        var acknowledged = new AlarmAcknowledged(At, Guid.Parse("01a209c7-c7d0-7a02-9b12-3c4d5e6f7a82"), "lockdown.started", "panic-1", "guard-bo", SirenSilenced: true);
        var activated = new PointActivated(At, "fence-n", Core.Site.PointKind.Perimeter, "perimeter") { Bypassed = true };

        Assert.Equal(("fence-n", "perimeter", """{"kind":"perimeter","until":"2026-11-24T03:05:00.000Z","operator":"tech;ana=1"}"""), Fields(bypassed));
        Assert.Equal(("fence-n", "perimeter", """{"kind":"perimeter","reason":"expired","operator":null}"""), Fields(expired));
        Assert.Equal(("panic-1", null, """{"event":"01a209c7-c7d0-7a02-9b12-3c4d5e6f7a82","eventType":"lockdown.started","operator":"guard-bo","sirenSilenced":true}"""), Fields(acknowledged));
        Assert.Equal((null, null, """{"operator":"guard-bo"}"""), Fields(new StateRepublishRequested(At, "guard-bo")));
        Assert.Equal(("fence-n", "perimeter", """{"kind":"perimeter","active":true,"bypassed":true}"""), Fields(activated));
        Assert.Equal("""{"kind":"perimeter","active":true}""", EventDataWriter.Describe(activated with { Bypassed = false }).DataJson);
    }

    private static (string?, string?, string) Fields(DomainEvent domainEvent)
    {
        var fields = EventDataWriter.Describe(domainEvent);
        return (fields.Point, fields.Zone, fields.DataJson);
    }

    [Fact]
    public void An_overlong_reason_is_cut_to_the_schema_limit()
    {
        var rejected = new CommandRejected(At, "", null, null, CommandRejection.Malformed, new string('x', 2000));

        using var data = JsonDocument.Parse(EventDataWriter.Describe(rejected).DataJson);
        Assert.Equal(1024, data.RootElement.GetProperty("reason").GetString()!.Length);
    }
}
