using System.Text;
using EdgeGuard.Core.Commands;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>Each check of <see cref="CommandVerifier"/> on its own, with explicit times.</summary>
public sealed class CommandVerifierTests : IDisposable
{
    private readonly CommandKit _kit = new();
    private static readonly DateTimeOffset Now = CommandKit.Now;

    public void Dispose() => _kit.Dispose();

    private CommandVerdict Verify(byte[] payload, bool retained = false, DateTimeOffset? at = null) =>
        _kit.Verifier().Verify(payload, retained, at ?? Now);

    private static void Rejected(CommandVerdict verdict, CommandRejection reason)
    {
        Assert.False(verdict.Accepted, verdict.Reason);
        Assert.Equal(reason, verdict.Rejection);
        Assert.StartsWith(reason.Code() + ": ", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signed_command_round_trips_and_is_accepted()
    {
        var command = CommandKit.Unsigned(CommandType.SetThreatLevel, "sup.jones", CommandKit.Args(("level", new JsonIntegerItem(3))));
        var verdict = Verify(CommandKit.Signed(_kit.Supervisor, command));

        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Null(verdict.Reason);
        Assert.Equal(command.Id, verdict.CommandId);
        Assert.Equal(OperatorRole.Supervisor, verdict.Command!.Role);
        Assert.Equal(command with { Signature = verdict.Command.Command.Signature }, verdict.Command.Command with { Args = command.Args });
        Assert.Equal(StrictJson.Canonical(command.Args), StrictJson.Canonical(verdict.Command.Command.Args));
    }

    // The skew raised from 30 s to 300 s and the gateway restarted with its store: a command
    // carried out under the old skew is acceptable again until its end plus the new one, so its id
    // must be remembered that long. Remembered by the old skew, it was forgotten 90 s after its
    // issue, and a copy replayed at 250 s (an evacuate captured at the broker) ran again.
    [Fact]
    public void An_id_outlives_a_raised_skew_so_a_copy_after_a_restart_is_not_run_again()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemorySeenCommandIds(time);
        var payload = CommandKit.Signed(_kit.Supervisor, CommandKit.Unsigned(CommandType.Evacuate, ttl: TimeSpan.FromSeconds(60)));
        var before = new CommandVerifier(_kit.Keys, store, _kit.Options with { ClockSkew = TimeSpan.FromSeconds(30) }).Verify(payload, false, Now);
        Assert.True(before.Accepted, before.Reason);
        store.Finish(before.CommandId!, new CommandFinal(true, null));

        time.Advance(TimeSpan.FromSeconds(250));
        var later = Now.AddSeconds(250);
        var raised = new CommandVerifier(_kit.Keys, store, _kit.Options with { ClockSkew = TimeSpan.FromSeconds(300) });
        // Any other command prunes what both clocks have passed.
        var other = raised.Verify(CommandKit.Signed(_kit.Supervisor, CommandKit.Unsigned(issued: later)), false, later);
        Assert.True(other.Accepted, other.Reason);
        var copy = raised.Verify(payload, false, later);

        Assert.False(copy.Accepted, "a copy of a command carried out ran again");
        Assert.Equal("handled before", copy.Detail);
        Assert.Equal(new CommandFinal(true, null), copy.Repeat!.Final);
    }

    [Fact]
    public void Whitespace_and_member_order_do_not_matter_to_the_signature()
    {
        var payload = Encoding.UTF8.GetString(_kit.Signed());
        var item = (JsonObjectItem)StrictJson.TryParse(Encoding.UTF8.GetBytes(payload), out _)!;
        var reordered = "{\n  " + string.Join(",\n  ", item.Members.Reverse().Select(m =>
            $"{Encoding.UTF8.GetString(StrictJson.Canonical(new JsonStringItem(m.Key)))} : {Encoding.UTF8.GetString(StrictJson.Canonical(m.Value))}")) + "\n}";

        Assert.True(Verify(Encoding.UTF8.GetBytes(reordered)).Accepted);
    }

    [Fact]
    public void Unknown_operator_is_rejected()
    {
        var command = CommandKit.Unsigned(op: "mallory");
        Rejected(Verify(CommandKit.Signed(_kit.Stranger, command)), CommandRejection.UnknownOperator);
    }

    // A configured operator whose key file the gateway could not load: the signature cannot be
    // checked, so the command is refused with the reason, never accepted unverified, and its id is
    // not recorded (nothing the payload says is believed).
    [Fact]
    public void An_operator_whose_key_is_unavailable_is_refused_as_key_unavailable()
    {
        var keys = new KeysWithOneUnavailable(_kit.Keys, "sup.gone", "the key file does not exist");
        var payload = CommandKit.Signed(_kit.Supervisor, CommandKit.Unsigned(op: "sup.gone"));

        var verdict = new CommandVerifier(keys, _kit.Seen, _kit.Options).Verify(payload, false, Now);

        Rejected(verdict, CommandRejection.KeyUnavailable);
        Assert.Contains("operator 'sup.gone'", verdict.Reason, StringComparison.Ordinal);
        Assert.Contains(keys.Problem, verdict.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _kit.Seen.Count);
        // Anyone else not configured is still unknown; a configured one still verifies.
        Rejected(new CommandVerifier(keys, _kit.Seen, _kit.Options).Verify(CommandKit.Signed(_kit.Stranger, CommandKit.Unsigned(op: "mallory")), false, Now), CommandRejection.UnknownOperator);
        Assert.True(new CommandVerifier(keys, _kit.Seen, _kit.Options).Verify(_kit.Signed(), false, Now).Accepted);
    }

    private sealed class KeysWithOneUnavailable(IOperatorKeys keys, string unavailable, string problem) : IOperatorKeys
    {
        public string Problem => problem;

        public OperatorKey? Find(string @operator) => keys.Find(@operator);

        public string? Unavailable(string @operator) => @operator == unavailable ? problem : null;
    }

    [Fact]
    public void A_signature_by_another_key_is_rejected()
    {
        // Signed by the guard's key but claiming to be the supervisor.
        Rejected(Verify(CommandKit.Signed(_kit.Guard, CommandKit.Unsigned(CommandType.AllClear, "sup.jones"))), CommandRejection.BadSignature);
    }

    [Theory]
    [InlineData("\"type\":\"lockdown\"", "\"type\":\"evacuate\"")]
    [InlineData("\"gateway\":\"gw-1\"", "\"gateway\":\"gw-1\",\"site\":\"site-b\"")] // rejected as duplicate before anything else
    [InlineData("\"args\":{}", "\"args\":{\"scenario\":\"lockdown\"}")]
    [InlineData("\"operator\":\"sup.jones\"", "\"operator\":\"sup.brown\"")]
    public void A_payload_altered_after_signing_is_rejected(string from, string to)
    {
        var payload = Encoding.UTF8.GetString(_kit.Signed());
        Assert.Contains(from, payload, StringComparison.Ordinal);
        var verdict = Verify(Encoding.UTF8.GetBytes(payload.Replace(from, to, StringComparison.Ordinal)));

        Assert.False(verdict.Accepted);
        Assert.Contains(verdict.Rejection, new CommandRejection?[] { CommandRejection.BadSignature, CommandRejection.Malformed });
    }

    [Fact]
    public void A_changed_expiry_is_rejected()
    {
        var command = CommandKit.Unsigned();
        var payload = Encoding.UTF8.GetString(CommandKit.Signed(_kit.Supervisor, command));
        var later = payload.Replace(WireTime.Format(command.ExpiresAt), WireTime.Format(command.ExpiresAt.AddMinutes(5)), StringComparison.Ordinal);

        Rejected(Verify(Encoding.UTF8.GetBytes(later)), CommandRejection.BadSignature);
    }

    [Fact]
    public void A_command_for_another_gateway_is_rejected()
    {
        Rejected(Verify(CommandKit.Signed(_kit.Supervisor, CommandKit.Unsigned(gateway: "gw-2"))), CommandRejection.WrongGateway);
    }

    [Fact]
    public void Expiry_allows_the_clock_skew_and_not_a_millisecond_more()
    {
        var command = CommandKit.Unsigned(ttl: TimeSpan.FromSeconds(30));
        var payload = CommandKit.Signed(_kit.Supervisor, command);
        var deadline = command.ExpiresAt + _kit.Options.ClockSkew;

        Rejected(Verify(payload, at: deadline), CommandRejection.Expired);
        Assert.True(Verify(payload, at: deadline.AddMilliseconds(-1)).Accepted);
    }

    [Fact]
    public void A_command_issued_beyond_the_skew_in_the_future_is_rejected()
    {
        var command = CommandKit.Unsigned(issued: Now + _kit.Options.ClockSkew + TimeSpan.FromMilliseconds(1));
        Rejected(Verify(CommandKit.Signed(_kit.Supervisor, command)), CommandRejection.IssuedInFuture);

        var withinSkew = CommandKit.Unsigned(issued: Now + _kit.Options.ClockSkew);
        Assert.True(Verify(CommandKit.Signed(_kit.Supervisor, withinSkew)).Accepted);
    }

    [Fact]
    public void A_command_valid_for_too_long_is_rejected()
    {
        var command = CommandKit.Unsigned(ttl: _kit.Options.MaxLifetime + TimeSpan.FromSeconds(1));
        Rejected(Verify(CommandKit.Signed(_kit.Supervisor, command)), CommandRejection.LifetimeTooLong);
    }

    [Fact]
    public void An_id_reused_with_other_bytes_is_rejected_as_replayed_even_by_a_new_verifier_over_the_same_store()
    {
        var payload = _kit.Signed();
        Assert.True(Verify(payload).Accepted);
        Rejected(Verify(CommandKit.Respelt(payload), at: Now.AddSeconds(1)), CommandRejection.Replayed);
        Rejected(_kit.Verifier().Verify(CommandKit.Respelt(payload), retained: false, Now.AddSeconds(2)), CommandRejection.Replayed);
    }

    [Fact]
    public void A_verbatim_copy_of_an_unfinished_command_is_accepted_again_and_marked_unfinished()
    {
        var payload = _kit.Signed();
        var first = Verify(payload);
        var again = _kit.Verifier().Verify(payload, retained: false, Now.AddSeconds(1));

        Assert.True(first.Accepted && !first.Unfinished);
        // Queued here or left over from a stop or crash: only the caller knows which.
        Assert.True(again.Accepted && again.Unfinished);
        Assert.Equal(first.Command!.Command.SigningBytes(), again.Command!.Command.SigningBytes());
        Assert.Null(again.Repeat);
    }

    [Fact]
    public void A_verbatim_copy_of_a_finished_command_is_a_repeat_carrying_its_final_result()
    {
        var payload = _kit.Signed();
        var verifier = _kit.Verifier();
        var first = verifier.Verify(payload, false, Now);
        verifier.Finish(first.CommandId, new CommandFinal(false, "a panic button is still held"));

        var again = verifier.Verify(payload, false, Now.AddSeconds(1));

        Assert.False(again.Accepted);
        Assert.Null(again.Rejection);
        Assert.Equal(new CommandFinal(false, "a panic button is still held"), again.Repeat!.Final);
        Assert.Equal(first.Command!.Command.SigningBytes(), again.Repeat.Command.Command.SigningBytes());
        // Still only a verbatim copy: other bytes under the id are a replay.
        Rejected(verifier.Verify(CommandKit.Respelt(payload), false, Now.AddSeconds(2)), CommandRejection.Replayed);
    }

    [Fact]
    public void A_verbatim_copy_of_a_started_command_is_marked_started_and_leaves_its_real_result_to_be_stored()
    {
        var payload = _kit.Signed();
        var verifier = _kit.Verifier();
        var first = verifier.Verify(payload, false, Now);
        verifier.Start(first.CommandId);

        // Executing here or cut short by an earlier run: only the caller knows; nothing is stored.
        var whileStarted = verifier.Verify(payload, false, Now.AddSeconds(1));
        verifier.Finish(first.CommandId, new CommandFinal(true, "lockdown started"));
        var afterwards = verifier.Verify(payload, false, Now.AddSeconds(2));

        Assert.False(whileStarted.Accepted);
        Assert.True(whileStarted.Started);
        Assert.Equal(CommandVerifier.Interrupted, whileStarted.Repeat!.Final);
        Assert.False(afterwards.Started);
        Assert.Equal(new CommandFinal(true, "lockdown started"), afterwards.Repeat!.Final);
    }

    [Fact]
    public void A_repeat_is_still_checked_first_a_retained_copy_is_refused_as_such()
    {
        var payload = _kit.Signed();
        var verifier = _kit.Verifier();
        verifier.Finish(verifier.Verify(payload, false, Now).CommandId, new CommandFinal(true, null));

        // An expired copy is answered with its final result while remembered: ExpiredCopyTests.
        Rejected(verifier.Verify(payload, retained: true, Now), CommandRejection.Retained);
    }

    [Fact]
    public void A_command_refused_for_its_role_is_finished_at_once_so_its_redelivery_repeats_the_refusal()
    {
        var payload = _kit.Signed(CommandType.AllClear, "guard.smith");
        var first = Verify(payload);
        var again = Verify(payload, at: Now.AddSeconds(1));

        Rejected(first, CommandRejection.RoleNotAllowed);
        Assert.False(again.Accepted);
        Assert.Equal(new CommandFinal(false, first.Reason), again.Repeat!.Final);
        Rejected(Verify(CommandKit.Respelt(payload), at: Now.AddSeconds(2)), CommandRejection.Replayed);
    }

    [Fact]
    public void A_forged_command_does_not_burn_the_id_of_the_real_one()
    {
        var real = CommandKit.Unsigned();
        Rejected(Verify(CommandKit.Signed(_kit.Stranger, real)), CommandRejection.BadSignature);
        Assert.True(Verify(CommandKit.Signed(_kit.Supervisor, real)).Accepted);
    }

    [Fact]
    public void A_retained_command_is_rejected_even_when_perfectly_signed()
    {
        Rejected(Verify(_kit.Signed(), retained: true), CommandRejection.Retained);
    }

    [Theory]
    [InlineData(CommandType.AllClear, "guard.smith")]
    [InlineData(CommandType.SetThreatLevel, "tech.lee")]
    [InlineData(CommandType.Lockdown, "tech.lee")]
    [InlineData(CommandType.Bypass, "guard.smith")]
    public void A_role_that_may_not_send_the_command_is_rejected(CommandType type, string op)
    {
        var args = type switch
        {
            CommandType.SetThreatLevel => CommandKit.Args(("level", new JsonIntegerItem(2))),
            CommandType.Bypass => CommandKit.Args(("point", new JsonStringItem("door-main")), ("until", new JsonStringItem("2026-11-23T20:00:00.000Z"))),
            _ => null,
        };
        Rejected(Verify(_kit.Signed(type, op, args)), CommandRejection.RoleNotAllowed);
    }

    [Fact]
    public void A_key_scoped_to_other_sites_is_rejected()
    {
        var ring = new OperatorKeyRing([OperatorKey.FromPem("sup.jones", OperatorRole.Supervisor, _kit.Supervisor.ExportSubjectPublicKeyInfoPem(), ["site-b"])]);
        var verdict = new CommandVerifier(ring, new InMemorySeenCommandIds(), _kit.Options).Verify(_kit.Signed(), false, Now);
        Rejected(verdict, CommandRejection.RoleNotAllowed);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("{\"id\":1,\"id\":2}")]
    [InlineData("\"just a string")]
    public void Malformed_json_is_rejected(string payload) =>
        Rejected(Verify(Encoding.UTF8.GetBytes(payload)), CommandRejection.Malformed);

    [Theory]
    [InlineData("\"args\":{}", "\"args\":[]", "args must be an object")]
    [InlineData("\"args\":{}", "\"args\":{\"scenario\":7}", "args.scenario: must be a string")]
    [InlineData("\"args\":{}", "\"args\":{\"zone\":\"a\"}", "takes no argument 'zone'")]
    [InlineData("\"type\":\"lockdown\"", "\"type\":\"disarm\"", "not a command type")]
    [InlineData("\"type\":\"lockdown\"", "\"type\":1", "type must be a string")]
    [InlineData("\"operator\":\"sup.jones\"", "\"operator\":\"\"", "operator must be")]
    [InlineData("\"site\":\"site-a\"", "\"site\":\"site-a\\n\"", "site must be")]
    [InlineData("\"gateway\":\"gw-1\",", "", "missing field 'gateway'")]
    [InlineData("\"gateway\":\"gw-1\"", "\"gateway\":\"gw-1\",\"zz\":1", "unknown field 'zz'")]
    [InlineData("\"issued_at\":\"2026-11-23T19:05:00.000Z\"", "\"issued_at\":\"2026-11-23T19:05:00Z\"", "issued_at must be a timestamp")]
    [InlineData("\"issued_at\":\"2026-11-23T19:05:00.000Z\"", "\"issued_at\":\"2026-11-23T19:06:00.000Z\"", "later than issued_at")]
    [InlineData("\"signature\":\"", "\"signature\":\"AAAA", "signature must be")]
    public void Wrong_types_and_forms_are_rejected_naming_the_field(string from, string to, string because)
    {
        var payload = Encoding.UTF8.GetString(_kit.Signed());
        Assert.Contains(from, payload, StringComparison.Ordinal);
        var verdict = Verify(Encoding.UTF8.GetBytes(payload.Replace(from, to, StringComparison.Ordinal)));

        Rejected(verdict, CommandRejection.InvalidField);
        Assert.Contains(because, verdict.Detail, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f-]{36}$", verdict.CommandId);   // still named in the answer
    }

    // A validly signed command expiring at the calendar's last millisecond: adding the clock skew
    // to it overflowed DateTimeOffset, and the verifier, which never throws, threw (the handler
    // then said the replay store could not be written). Years outside 2000-9000 are refused as an
    // invalid field, naming it, before any time arithmetic.
    [Theory]
    [InlineData("2026-11-23T19:05:00.000Z", "9999-12-31T23:59:59.999Z", "expires_at")]
    [InlineData("2026-11-23T19:05:00.000Z", "9001-01-01T00:00:00.000Z", "expires_at")]
    [InlineData("1999-12-31T23:59:59.999Z", "2026-11-23T19:05:30.000Z", "issued_at")]
    public void A_timestamp_outside_the_years_2000_to_9000_is_an_invalid_field(string issued, string expires, string field)
    {
        var from = DateTimeOffset.Parse(issued, System.Globalization.CultureInfo.InvariantCulture);
        var until = DateTimeOffset.Parse(expires, System.Globalization.CultureInfo.InvariantCulture);
        var command = CommandKit.Unsigned(issued: from, ttl: until - from);

        var verdict = Verify(CommandKit.Signed(_kit.Supervisor, command));

        Rejected(verdict, CommandRejection.InvalidField);
        Assert.Contains($"{field} must be a timestamp", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("years 2000 to 9000", verdict.Detail, StringComparison.Ordinal);
        Assert.Equal(command.Id, verdict.CommandId);
    }

    [Fact]
    public void A_signature_with_nonzero_padding_bits_is_refused_as_a_second_spelling()
    {
        var payload = Encoding.UTF8.GetString(_kit.Signed());
        var at = payload.IndexOf("==\"", StringComparison.Ordinal);
        var last = payload[at - 1];
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var other = alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) ^ 1];    // same 2 data bits, padding bit set
        var mutated = payload[..(at - 1)] + other + payload[at..];

        Rejected(Verify(Encoding.UTF8.GetBytes(mutated)), CommandRejection.InvalidField);
    }

    [Fact]
    public void An_oversized_payload_is_rejected_unread()
    {
        var payload = new byte[(8 * 1024) + 1];
        Array.Fill(payload, (byte)' ');
        Rejected(Verify(payload), CommandRejection.Oversized);
        Assert.Equal("", Verify(payload).CommandId);
    }

    [Fact]
    public void Checks_run_in_the_documented_order()
    {
        // Retained and from an unknown operator: the retain flag is reported first.
        var stranger = CommandKit.Signed(_kit.Stranger, CommandKit.Unsigned(op: "mallory"));
        Rejected(Verify(stranger, retained: true), CommandRejection.Retained);
        // Forged and expired: the forgery is reported, an attacker learns nothing about timing.
        var forged = CommandKit.Signed(_kit.Stranger, CommandKit.Unsigned());
        Rejected(Verify(forged, at: Now.AddHours(1)), CommandRejection.BadSignature);
        // Expired and the wrong role: expiry first.
        var guardAllClear = _kit.Signed(CommandType.AllClear, "guard.smith");
        Rejected(Verify(guardAllClear, at: Now.AddHours(1)), CommandRejection.Expired);
    }
}
