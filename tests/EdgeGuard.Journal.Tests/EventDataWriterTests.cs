using System.Text.Json;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Testing;

namespace EdgeGuard.Journal.Tests;

public sealed partial class EventDataWriterTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    /// <summary>An empty JSON array, for <see cref="AssertData"/>.</summary>
    internal static readonly object[] NoneSuspended = [];

    [Theory]
    [InlineData(PointKind.DoorContact, "doorContact")]
    [InlineData(PointKind.Perimeter, "perimeter")]
    [InlineData(PointKind.PanicButton, "panicButton")]
    [InlineData(PointKind.Tamper, "tamper")]
    [InlineData(PointKind.Keyswitch, "keyswitch")]
    [InlineData(PointKind.RequestToExit, "requestToExit")]
    public void Point_activated_carries_kind_active_point_and_zone(PointKind kind, string kindText)
    {
        var fields = EventDataWriter.Describe(new PointActivated(At, "lobby-door", kind, "lobby"));

        Assert.Equal("lobby-door", fields.Point);
        Assert.Equal("lobby", fields.Zone);
        AssertData(fields.DataJson, ("kind", kindText), ("active", true));
    }

    [Fact]
    public void Every_point_kind_has_a_spelled_out_name()
    {
        foreach (var kind in Enum.GetValues<PointKind>())
        {
            var text = EventDataWriter.PointKindText(kind);
            Assert.False(string.IsNullOrEmpty(text));
            Assert.True(char.IsLower(text[0]), $"{kind} -> {text}");
        }
    }

    [Fact]
    public void Every_point_change_has_the_data_of_its_own_kind_direction_and_bypass_however_often_it_is_described()
    {
        // The text of a point change's data is written once per kind, direction and bypass, then reused.
        foreach (var kind in Enum.GetValues<PointKind>())
        {
            foreach (var active in (bool[])[true, false])
            {
                foreach (var bypassed in (bool[])[false, true])
                {
                    for (var round = 0; round < 2; round++)
                    {
                        var point = $"{kind}-{round}";
                        DomainEvent change = active
                            ? new PointActivated(At, point, kind, $"zone-{round}") { Bypassed = bypassed }
                            : new PointRestored(At, point, kind, $"zone-{round}") { Bypassed = bypassed };
                        var fields = EventDataWriter.Describe(change);

                        Assert.Equal(point, fields.Point);
                        Assert.Equal($"zone-{round}", fields.Zone);
                        (string, object?)[] expected = bypassed
                            ? [("kind", EventDataWriter.PointKindText(kind)), ("active", active), ("bypassed", true)]
                            : [("kind", EventDataWriter.PointKindText(kind)), ("active", active)];
                        AssertData(fields.DataJson, expected);
                    }
                }
            }
        }
    }

    [Fact]
    public void Point_restored_is_active_false()
    {
        var fields = EventDataWriter.Describe(new PointRestored(At, "fence-north", PointKind.Perimeter, "perimeter"));

        Assert.Equal("fence-north", fields.Point);
        Assert.Equal("perimeter", fields.Zone);
        AssertData(fields.DataJson, ("kind", "perimeter"), ("active", false));
    }

    [Fact]
    public void Lockdown_started_and_retriggered_carry_the_cause()
    {
        var started = EventDataWriter.Describe(new LockdownStarted(At, "panic-button", "lobby-panic-1"));
        var retriggered = EventDataWriter.Describe(new LockdownRetriggered(At, "panic-button", "office-panic-2"));
        var fromOffice = EventDataWriter.Describe(new LockdownStarted(At, "office-command", null));

        Assert.Equal("lobby-panic-1", started.Point);
        Assert.Null(started.Zone);
        AssertData(started.DataJson, ("cause", "panic-button"), ("scenario", "lockdown"));
        Assert.Equal("office-panic-2", retriggered.Point);
        AssertData(retriggered.DataJson, ("cause", "panic-button"), ("scenario", "lockdown"));
        Assert.Null(fromOffice.Point);
        AssertData(fromOffice.DataJson, ("cause", "office-command"), ("scenario", "lockdown"));
    }

    [Fact]
    public void Lockdown_cleared_carries_who_and_since_as_UTC_ISO_8601()
    {
        var since = new DateTimeOffset(2025, 3, 14, 14, 56, 53, TimeSpan.FromHours(5.5)).AddTicks(1234567);

        var fields = EventDataWriter.Describe(new LockdownCleared(At, "guard-keyswitch", since));

        Assert.Equal("guard-keyswitch", fields.Point);
        AssertData(fields.DataJson, ("clearedBy", "guard-keyswitch"), ("lockdownSince", "2025-03-14T09:26:53.123Z"), ("scenario", "lockdown"));
    }

    [Fact]
    public void Lockdown_clear_refused_carries_who_and_why()
    {
        var fields = EventDataWriter.Describe(new LockdownClearRefused(At, "office:alice", "second operator required"));

        Assert.Equal("office:alice", fields.Point);
        AssertData(fields.DataJson, ("attemptedBy", "office:alice"), ("reason", "second operator required"));
    }

    [Fact]
    public void Lockdown_start_refused_carries_the_asked_and_the_running_scenario_and_whether_it_was_kept()
    {
        var refused = new LockdownStartRefused(At, "panic-button", "panic-b", "lockdown", SiteMode.Lockdown, "annex",
            "'lockdown' (rank 100) does not outrank the running 'annex' (rank 150)") { Suspended = true, SirenRestarted = true };

        var fields = EventDataWriter.Describe(refused);

        Assert.Equal(("lockdown.start-refused", "panic-b", Severity.Critical), (refused.Type, fields.Point, refused.Severity));
        AssertData(fields.DataJson, ("cause", "panic-button"), ("scenario", "lockdown"), ("runningScenario", "annex"),
            ("reason", "'lockdown' (rank 100) does not outrank the running 'annex' (rank 150)"), ("suspended", true),
            ("sirenRestarted", true));
    }

    [Fact]
    public void Siren_timed_out_has_empty_data()
    {
        var fields = EventDataWriter.Describe(new SirenTimedOut(At));

        Assert.Null(fields.Point);
        Assert.Null(fields.Zone);
        Assert.Equal("{}", fields.DataJson);
    }

    [Fact]
    public void Point_active_at_boot_carries_the_kind()
    {
        var fields = EventDataWriter.Describe(new PointActiveAtBoot(At, "lobby-panic-1", PointKind.PanicButton, "lobby"));

        Assert.Equal("lobby-panic-1", fields.Point);
        Assert.Equal("lobby", fields.Zone);
        AssertData(fields.DataJson, ("kind", "panicButton"));
    }

    [Fact]
    public void Faults_carry_their_reason_and_subject()
    {
        var notPersisted = EventDataWriter.Describe(new SafetyStateNotPersisted(At, "disk I/O error"));
        var output = EventDataWriter.Describe(new OutputFault(At, "lobby-lock", "read-back mismatch"));
        var full = EventDataWriter.Describe(new JournalFull(At, 1_000_000, "limit reached"));
        var recovered = EventDataWriter.Describe(new JournalRecovered(At, 42));
        var delivery = EventDataWriter.Describe(new DeliveryFault(At, 9_007_199_254_740_993, "broker refused: quota"));
        var state = EventDataWriter.Describe(new StateDeliveryFault(At, "edgeguard/v1/s/g/state/lockdown", "NotAuthorized (135)"));

        AssertData(notPersisted.DataJson, ("reason", "disk I/O error"));
        Assert.Null(notPersisted.Point);
        Assert.Equal("lobby-lock", output.Point);
        AssertData(output.DataJson, ("output", "lobby-lock"), ("reason", "read-back mismatch"));
        AssertData(full.DataJson, ("undelivered", 1_000_000L), ("reason", "limit reached"));
        AssertData(recovered.DataJson, ("dropped", 42L));
        // 64-bit numbers are written exactly, beyond what a double holds.
        AssertData(delivery.DataJson, ("seq", 9_007_199_254_740_993L), ("reason", "broker refused: quota"));
        AssertData(state.DataJson, ("topic", "edgeguard/v1/s/g/state/lockdown"), ("reason", "NotAuthorized (135)"));
        Assert.Null(state.Point);
    }

    [Fact]
    public void An_unreadable_safety_state_keeps_what_it_may_have_cost_when_a_long_problem_is_cut()
    {
        var problem = "The saved safety state could not be read: Journal database '" + new string('d', 2000) + "'";

        var fields = EventDataWriter.Describe(new SafetyStateUnreadable(At, problem));

        using var json = JsonDocument.Parse(fields.DataJson);
        var reason = json.RootElement.GetProperty("reason").GetString()!;
        Assert.Equal(1024, reason.Length); // the schema's limit
        Assert.StartsWith("booted in normal mode", reason, StringComparison.Ordinal);
        Assert.Contains("may have been lost; re-issue it if one was. The saved safety state could not be read", reason, StringComparison.Ordinal);
        Assert.Null(fields.Point);
    }

    [Fact]
    public void Text_that_needs_escaping_stays_valid_JSON()
    {
        var reason = "quote \" backslash \\ newline \n control \u0001 unicode ü";

        var fields = EventDataWriter.Describe(new SafetyStateNotPersisted(At, reason));

        AssertData(fields.DataJson, ("reason", reason));
    }

    [Fact]
    public void An_unknown_event_type_gets_its_base_point_and_empty_data()
    {
        var fields = EventDataWriter.Describe(new UnknownEvent(At));

        Assert.Equal("somewhere", fields.Point);
        Assert.Null(fields.Zone);
        Assert.Equal("{}", fields.DataJson);
        Assert.False(EventDataWriter.HasExplicitMapping(new UnknownEvent(At)));
    }

    [Fact]
    public void Every_domain_event_type_in_Core_has_an_explicit_mapping()
    {
        var types = CoreEvents.Types();

        // A sanity check that the enumeration works: Core had 14 event types when this was written.
        Assert.True(types.Count >= 14, $"found only {types.Count} event types");
        var unmapped = types.Where(type => !EventDataWriter.HasExplicitMapping(CoreEvents.Instantiate(type))).Select(type => type.Name).ToList();

        Assert.Empty(unmapped);
    }

    [Fact]
    public void Every_data_object_of_every_Core_event_is_a_JSON_object_with_camelCase_names()
    {
        foreach (var type in CoreEvents.Types())
        {
            var fields = EventDataWriter.Describe(CoreEvents.Instantiate(type));
            using var document = JsonDocument.Parse(fields.DataJson);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                Assert.True(char.IsLower(property.Name[0]), $"{type.Name}.{property.Name}");
            }
        }
    }

    [Theory]
    [InlineData(Severity.Info, "info")]
    [InlineData(Severity.Warning, "warning")]
    [InlineData(Severity.Alarm, "alarm")]
    [InlineData(Severity.Critical, "critical")]
    public void Severities_are_lowercase_and_round_trip(Severity severity, string text)
    {
        Assert.Equal(text, EventDataWriter.SeverityText(severity));
        Assert.Equal(severity, EventDataWriter.ParseSeverity(text));
    }

    [Fact]
    public void An_unknown_severity_text_parses_to_null()
    {
        Assert.Null(EventDataWriter.ParseSeverity("Critical"));
        Assert.Null(EventDataWriter.ParseSeverity("panic"));
    }

    /// <summary>Asserts that <paramref name="json"/> is an object with exactly these fields and values.</summary>
    internal static void AssertData(string json, params (string Name, object? Value)[] expected)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(
            expected.Select(field => field.Name).Order(StringComparer.Ordinal),
            root.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal));

        foreach (var (name, value) in expected)
        {
            var element = root.GetProperty(name);
            switch (value)
            {
                case null:
                    Assert.Equal(JsonValueKind.Null, element.ValueKind);
                    break;
                case string text:
                    Assert.Equal(JsonValueKind.String, element.ValueKind);
                    Assert.Equal(text, element.GetString());
                    break;
                case bool flag:
                    Assert.Equal(flag ? JsonValueKind.True : JsonValueKind.False, element.ValueKind);
                    break;
                case long number:
                    Assert.Equal(JsonValueKind.Number, element.ValueKind);
                    Assert.Equal(number, element.GetInt64());
                    break;
                case object[] { Length: 0 }:
                    Assert.Equal(JsonValueKind.Array, element.ValueKind);
                    Assert.Equal(0, element.GetArrayLength());
                    break;
                default:
                    throw new InvalidOperationException($"unexpected expected value {value}");
            }
        }
    }

    private sealed record UnknownEvent(DateTimeOffset At) : DomainEvent(At)
    {
        public override string Type => "test.unknown";
        public override Severity Severity => Severity.Info;
        public override string? Point => "somewhere";
    }
}
