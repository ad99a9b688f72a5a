using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Every event type in EdgeGuard.Core (found by reflection, <see cref="CoreEvents"/>), in each
/// variant of its arguments, as a normal and a drill event, live and replayed, written by the
/// journal's data writer and the publisher's payload writer exactly as the gateway sends it, and
/// validated by the contract tool with <c>--known-types</c>: a type the contract does not list
/// fails there, where by default it would pass with any data (the contract's forward
/// compatibility for consumers, not a licence for the gateway).
/// </summary>
public sealed partial class EveryEventContractTests
{
    private static readonly Topics Topics = new("site-1", "gw-1");

    [Fact]
    public async Task Every_event_type_the_gateway_publishes_validates_against_its_schema_in_every_variant()
    {
        var (failures, count) = await ValidateEvery(Values, "x");

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} event payloads do not match the contract:\n{string.Join("\n", failures)}");
    }

    /// <summary>
    /// Every variant of every event type (<paramref name="values"/>, other strings <paramref name="text"/>),
    /// as a normal and a drill event, live and replayed, through the contract tool with --known-types.
    /// </summary>
    private static async Task<(List<string> Failures, int Count)> ValidateEvery(Dictionary<string, object?[]> values, string text)
    {
        var messages = new List<(string Label, string Payload)>();
        var notObjects = new List<string>();
        var seq = 100L;
        foreach (var type in CoreEvents.Types())
        {
            foreach (var (variant, domainEvent) in CoreEvents.Variants(type, values, text).Where(v => Reachable(v.Event)))
            {
                foreach (var drill in (bool[])[false, true])
                {
                    foreach (var replayed in (bool[])[false, true])
                    {
                        var label = $"{domainEvent.Type} ({type.Name}, {variant}, drill {drill}, replayed {replayed})";
                        var payload = Payload(domainEvent, ++seq, drill, replayed, out var embedded);
                        if (!embedded)
                        {
                            notObjects.Add(label);
                        }

                        messages.Add((label, payload));
                    }
                }
            }
        }

        Assert.Empty(notObjects);
        return (await Failures(messages, "--known-types"), messages.Count);
    }

    [Fact]
    public void Every_event_type_has_a_data_schema_and_the_event_schema_applies_it()
    {
        var (defined, applied) = SchemaTypes();
        var wireTypes = CoreEvents.Types()
            .SelectMany(type => CoreEvents.Variants(type, Values).Select(v => v.Event.Type))
            .ToHashSet(StringComparer.Ordinal);

        // Mode-dependent records name several wire types (lockdown, evacuation, shelter): all are here.
        Assert.Contains("evacuation.started", wireTypes);
        Assert.Contains("shelter.cleared", wireTypes);
        Assert.Empty(wireTypes.Where(type => !defined.Contains(type)).Order(StringComparer.Ordinal));
        Assert.Empty(wireTypes.Where(type => !applied.Contains(type)).Order(StringComparer.Ordinal));

        // A definition the event schema never applies would let any data through under its type.
        Assert.Empty(defined.Where(type => !applied.Contains(type)).Order(StringComparer.Ordinal));
        Assert.Empty(applied.Where(type => !defined.Contains(type)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_event_type_the_contract_does_not_list_fails_the_check()
    {
        var unlisted = new UnlistedEvent(CoreEvents.At);
        var payload = Payload(unlisted, 7, drill: false, replayed: false, out _);

        var failures = await Failures([("unlisted", payload)], "--known-types");

        var failure = Assert.Single(failures);
        Assert.Contains("unknown event type \"test.unlisted\"", failure, StringComparison.Ordinal);

        // Without --known-types the contract's catch-all takes it: the check above must not rely on it.
        Assert.Empty(await Failures([("unlisted", payload)]));
    }

    [Fact]
    public async Task A_payload_that_breaks_its_type_s_schema_fails_the_check_and_is_named()
    {
        var good = Payload(new JournalRecovered(CoreEvents.At, 3), 9, drill: false, replayed: false, out _);
        var broken = good.Replace("\"dropped\":3", "\"dropped\":\"3\"", StringComparison.Ordinal);
        Assert.NotEqual(good, broken);

        var failures = await Failures([("good", good), ("broken", broken)], "--known-types");

        var failure = Assert.Single(failures);
        Assert.StartsWith("broken:", failure, StringComparison.Ordinal);
        Assert.Contains("dropped", failure, StringComparison.Ordinal);
    }

    /// <summary>
    /// Values of arguments the gateway fills from a fixed set or a format, where a made-up text
    /// would not be one it writes (<see cref="CoreEvents.Variants"/>).
    /// </summary>
    private static readonly Dictionary<string, object?[]> Values = new(StringComparer.Ordinal)
    {
        // The resend command's id: the command schema's UUID, lowercase.
        ["ResendEnded.ResendId"] = ["0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"],
        // The acknowledged alarm's own event type.
        ["AlarmAcknowledged.EventType"] = ["point.activated", "lockdown.start-refused"],
        // CommandResultPayload.Wire of the answer given again (CommandHandler.Repeats.cs).
        ["CommandRepeated.Answer"] = ["accepted", "done", "rejected"],
        // A refused trigger's cause, or a signed office command kept suspended (no point then).
        ["LockdownStartRefused.Cause"] = ["panic button", "office-command"],
        // Process instances: 16 lower-case hex digits, the gateway's own and one it checked
        // (ProcessInstance.IsValid) before raising the duplicate.
        ["DuplicateGateway.Instance"] = ["0123456789abcdef"],
        ["DuplicateGateway.OwnInstance"] = ["fedcba9876543210"],
        // mqtt.periodicTestSeconds, 60..86400 (0 sends no test at all): the shortest and longest.
        ["GatewayTest.Interval"] = [TimeSpan.FromMinutes(1), TimeSpan.FromDays(1)],
    };

    /// <summary>
    /// False for the combinations of arguments that no code path builds, each for the reason given:
    /// the generator varies one part at a time and cannot know these rules.
    /// </summary>
    private static bool Reachable(DomainEvent domainEvent) => domainEvent switch
    {
        // CertificateExpiryWatch.Observe raises fault.certificate-restored for a valid certificate.
        CertificateFault e => e.Validity != CertificateValidity.Valid,
        // Only a refusal as expired or issued in the future carries a clock (CommandVerifier).
        ClockFault e => e.Rejection is CommandRejection.Expired or CommandRejection.IssuedInFuture,
        // A trigger on site always names its point; only a signed office command has none.
        LockdownStartRefused e => (e.PointId is null) == (e.Cause == "office-command"),
        // GatewayStarted.Restoring: a scenario's cause and id exactly when one was in force, and
        // suspended ones only under a running one.
        GatewayStarted e => (e.RestoredMode == SiteMode.Normal) == (e.LockdownCause is null && e.Scenario is null && e.Suspended.Count == 0),
        // Only the office clears by operator name; a keyswitch's name is its point id.
        LockdownCleared e => e.ByOffice || IdPattern().IsMatch(e.ClearedBy),
        // An open-door lasts 1 to 300 s: the verifier's bounds, or the door's releaseSeconds (the
        // config's); and RolePermissions gives it to no technician.
        DoorAccessGranted e => e.For >= TimeSpan.FromSeconds(1) && RolePermissions.Allows(e.Role, CommandType.OpenDoor),
        // RepeatAudit sums up counted copies; one copy is journaled without the field.
        CommandRepeated e => e.Copies >= 1,
        _ => true,
    };

    /// <summary>The payload the publisher writes for <paramref name="domainEvent"/> journaled at <paramref name="seq"/>.</summary>
    private static string Payload(DomainEvent domainEvent, long seq, bool drill, bool replayed, out bool embedded)
    {
        var fields = EventDataWriter.Describe(domainEvent);

        // A journal.gap takes the seq right after the range it declares (the tool checks it).
        if (domainEvent is JournalGap gap)
        {
            seq = gap.ThroughSeq + 1;
        }

        // As EventJournal.Writer.cs sequences it.
        var record = new JournalRecord(
            seq, Guid.CreateVersion7(domainEvent.At), domainEvent.At.ToUniversalTime(), TimeSpan.FromSeconds(seq), domainEvent.Type,
            fields.Point, fields.Zone, domainEvent.Severity, drill, fields.DataJson);
        return Encoding.UTF8.GetString(Payloads.Event(record, Topics, replayed, out embedded));
    }

    /// <summary>
    /// Validates the messages with the contract tool; one line per message that failed: its label,
    /// then the tool's errors.
    /// </summary>
    private static async Task<List<string>> Failures(IReadOnlyList<(string Label, string Payload)> messages, params string[] options)
    {
        using var directory = new TempDirectory();
        var capture = Path.Combine(directory.Path, "capture-v.txt");
        await File.WriteAllLinesAsync(capture, messages.Select(m => $"{Topics.Events} {m.Payload}"));
        var (exitCode, report) = await ContractTool.ValidateAsync(capture, options);

        var failures = new List<string>();
        string? current = null;
        foreach (var line in report.Split('\n'))
        {
            if (FailLine().Match(line) is { Success: true } fail)
            {
                current = messages[int.Parse(fail.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1].Label + ":";
                failures.Add(current);
            }
            else if (current is not null && line.StartsWith("       ", StringComparison.Ordinal))
            {
                failures[^1] += " " + line.Trim();
            }
            else
            {
                current = null;
            }
        }

        // The tool and this parse agree, or the parse missed something.
        Assert.True((exitCode == 0) == (failures.Count == 0), report);
        Assert.True(report.Contains($"{messages.Count - failures.Count} passed, {failures.Count} failed", StringComparison.Ordinal), report);
        return failures;
    }

    /// <summary>The types event-data.schema.json defines and those event.schema.json applies a definition to.</summary>
    private static (HashSet<string> Defined, HashSet<string> Applied) SchemaTypes()
    {
        var schemas = Path.Combine(ContractTool.RepositoryRoot(), "docs", "schemas");
        using var data = JsonDocument.Parse(File.ReadAllText(Path.Combine(schemas, "event-data.schema.json")));
        var defined = data.RootElement.GetProperty("$defs").EnumerateObject()
            .Select(definition => definition.Name)
            .Where(name => name.Contains('.', StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        using var envelope = JsonDocument.Parse(File.ReadAllText(Path.Combine(schemas, "event.schema.json")));
        var applied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var branch in envelope.RootElement.GetProperty("else").GetProperty("allOf").EnumerateArray())
        {
            var type = branch.GetProperty("if").GetProperty("properties").GetProperty("type").GetProperty("const").GetString()!;
            var reference = branch.GetProperty("then").GetProperty("properties").GetProperty("data").GetProperty("$ref").GetString();
            Assert.Equal($"event-data.schema.json#/$defs/{type}", reference);
            applied.Add(type);
        }

        return (defined, applied);
    }

    // common.schema.json#/$defs/id.
    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^FAIL \S+:(\d+) ")]
    private static partial Regex FailLine();

    private sealed record UnlistedEvent(DateTimeOffset At) : DomainEvent(At)
    {
        public override string Type => "test.unlisted";
        public override Severity Severity => Severity.Info;
    }
}
