using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A gateway whose clock is wrong refuses every authentic command for its times: the office must
/// be told the clock is the cause (fault.clock) once, not read one warning per command.
/// </summary>
public sealed class ClockFaultTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);

    private static async Task<CommandAttempt> ReceiveAsync(CommandHarness gateway, byte[] payload) =>
        await gateway.Handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);

    [Fact]
    public async Task Authentic_commands_refused_for_their_times_raise_one_clock_fault_and_a_good_one_restores_it()
    {
        // The gateway's clock is 10 min behind the office's (a Pi without an RTC after a power cut).
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        var officeNow = GatewayNow.AddMinutes(10);

        var first = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: officeNow));
        var second = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: officeNow));

        Assert.All([first, second], a => Assert.StartsWith("issued-in-future:", a.Reason, StringComparison.Ordinal));
        var fault = Assert.IsType<ClockFault>(Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock"));
        Assert.Equal((first.CommandId, "sup.jones", CommandRejection.IssuedInFuture), (fault.CommandId, fault.Operator, fault.Rejection));
        Assert.Equal((officeNow, TimeSpan.FromMinutes(10), GatewayNow), (fault.IssuedAt, fault.Gap, fault.At));
        Assert.Equal(Core.Lockdown.Severity.Alarm, fault.Severity);
        Assert.Contains("the gateway's clock is wrong or an old command was replayed", fault.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Journal.Events.OfType<ClockRestored>());

        // Set right (or a command from an office whose clock agrees): the next one verifies.
        var good = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow));
        var another = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow));

        Assert.Equal(CommandResultKind.Accepted, good.Result);
        Assert.Equal(CommandResultKind.Accepted, another.Result);
        var restored = Assert.Single(gateway.Journal.Events.OfType<ClockRestored>());
        Assert.Equal((good.CommandId, "sup.jones", 2), (restored.CommandId, restored.Operator, restored.Refused));
        Assert.Equal(
            ["fault.clock", "command.rejected", "command.rejected", "fault.clock-restored", "command.received", "command.received"],
            gateway.Journal.Events.Select(e => e.Type));

        // A new episode: an old command replayed long after it expired raises it again.
        var old = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(-20)));

        Assert.StartsWith("expired:", old.Reason, StringComparison.Ordinal);
        var faults = gateway.Journal.Events.OfType<ClockFault>().ToList();
        Assert.Equal(2, faults.Count);
        Assert.Equal((CommandRejection.Expired, TimeSpan.FromMinutes(-20)), (faults[1].Rejection, faults[1].Gap));
    }

    [Fact]
    public async Task A_forged_command_with_wrong_times_raises_no_clock_fault_and_restores_none()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);

        var forged = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, key: gateway.Stranger, issuedAt: GatewayNow.AddMinutes(10)));
        var forgedOld = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, key: gateway.Stranger, issuedAt: GatewayNow.AddMinutes(-20)));

        Assert.All([forged, forgedOld], a => Assert.StartsWith("bad-signature:", a.Reason, StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Journal.Events, e => e.Type.StartsWith("fault.clock", StringComparison.Ordinal));

        // With a fault open, a forged command with good times does not close it either.
        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10)));
        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, key: gateway.Stranger, issuedAt: GatewayNow));

        Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock");
        Assert.DoesNotContain(gateway.Journal.Events, e => e.Type == "fault.clock-restored");
    }

    [Fact]
    public async Task A_clock_fault_the_journal_could_not_take_is_raised_again_by_the_next_such_command()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        gateway.Journal.Fail = true;
        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10)));
        gateway.Journal.Fail = false;

        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10)));

        Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock");
    }

    [Fact]
    public async Task An_authentic_command_that_expired_while_queued_before_the_connection_came_up_is_refused_without_a_clock_fault()
    {
        // The gateway was offline 20 min (a power cut); the office sent a command 10 min in, and
        // the broker queued it for the command session. The gateway's clock is right.
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        var queued = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(-10), ttl: TimeSpan.FromMinutes(2));
        gateway.Handler.CommandConnectionStarting();
        time.Advance(TimeSpan.FromSeconds(1));

        var late = await ReceiveAsync(gateway, queued);

        Assert.Equal(CommandResultKind.Rejected, late.Result);
        Assert.StartsWith("expired:", late.Reason, StringComparison.Ordinal);
        Assert.Contains("expired while queued", late.Reason, StringComparison.Ordinal);
        var rejected = Assert.IsType<CommandRejected>(Assert.Single(gateway.Journal.Events));
        Assert.Equal(CommandRejection.Expired, rejected.Rejection);
        Assert.Contains("expired while queued", rejected.Detail, StringComparison.Ordinal);
        Assert.False(gateway.Handler.ClockFaultOpen);

        // Issued after the connection came up and expired all the same: the clock is suspect.
        time.Advance(TimeSpan.FromMinutes(5));
        var stale = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(1), ttl: TimeSpan.FromMinutes(1)));

        Assert.StartsWith("expired:", stale.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("queued", stale.Reason, StringComparison.Ordinal);
        var fault = Assert.IsType<ClockFault>(Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock"));
        Assert.Equal((stale.CommandId, CommandRejection.Expired), (fault.CommandId, fault.Rejection));
    }

    [Fact]
    public async Task A_command_issued_in_the_future_counts_however_long_ago_the_connection_came_up()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        gateway.Handler.CommandConnectionStarting();
        time.Advance(TimeSpan.FromSeconds(1));

        // The gateway's clock 10 min behind: its issued_at is after the connect by any clock.
        var ahead = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10)));

        Assert.StartsWith("issued-in-future:", ahead.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock");
    }

    [Fact]
    public async Task A_queued_command_that_expired_neither_ends_an_open_clock_fault_nor_counts_in_it()
    {
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10)));
        time.Advance(TimeSpan.FromMinutes(1));
        gateway.Handler.CommandConnectionStarting();

        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(-30)));
        Assert.True(gateway.Handler.ClockFaultOpen);
        await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: time.GetUtcNow()));

        var restored = Assert.Single(gateway.Journal.Events.OfType<ClockRestored>());
        Assert.Equal(1, restored.Refused);
    }

    [Fact]
    public async Task Before_any_connection_an_expired_command_counts_as_today()
    {
        // The handler alone (the fuzzer, a host without the subscriber): nothing says it was queued.
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);

        var old = await ReceiveAsync(gateway, gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(-20)));

        Assert.DoesNotContain("queued", old.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock");
    }
}
