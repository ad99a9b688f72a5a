using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace EdgeGuard.Core.Commands;

/// <summary>What the office can ask a gateway to do (docs/schemas/command.schema.json, <c>type</c>).</summary>
public enum CommandType
{
    Lockdown,
    AllClear,
    Evacuate,
    Shelter,
    DrillStart,
    DrillStop,
    Acknowledge,
    Bypass,
    Unbypass,
    SetThreatLevel,
    Rebirth,
    Resend,
    Heard,
    OpenDoor,
    TechnicianAccess,
    TechnicianAccessEnd,
}

/// <summary>The kind of value an argument holds; each has exactly one accepted JSON form.</summary>
public enum ArgumentKind
{
    /// <summary>A site/zone/point/scenario id: 1–64 of <c>[a-z0-9_-]</c>.</summary>
    Id,
    /// <summary>A lowercase hyphenated UUID (e.g. an event id).</summary>
    Uuid,
    /// <summary>A contract timestamp, <c>2026-11-23T19:00:00.123Z</c>.</summary>
    Timestamp,
    /// <summary>A JSON integer between <see cref="ArgumentSpec.Min"/> and <see cref="ArgumentSpec.Max"/>.</summary>
    Integer,
}

/// <summary>One argument a command type takes.</summary>
public sealed record ArgumentSpec(string Name, ArgumentKind Kind, bool Required, long Min = long.MinValue, long Max = long.MaxValue);

/// <summary>
/// Every command type: its wire name and its arguments, as one table. The verifier refuses any
/// argument not listed here, and `edgeguard command sign` uses the kinds to type <c>--arg k=v</c>.
/// </summary>
public static partial class CommandTypes
{
    private static ArgumentSpec Opt(string name, ArgumentKind kind) => new(name, kind, Required: false);
    private static ArgumentSpec Req(string name, ArgumentKind kind) => new(name, kind, Required: true);

    /// <summary>Wire name and arguments of each type.</summary>
    public static IReadOnlyList<(CommandType Type, string Wire, ArgumentSpec[] Args)> Table { get; } =
    [
        //  type                         wire                 arguments
        (CommandType.Lockdown,       "lockdown",          [Opt("scenario", ArgumentKind.Id)]),
        (CommandType.AllClear,       "all-clear",         [Opt("scenario", ArgumentKind.Id)]),
        (CommandType.Evacuate,       "evacuate",          [Opt("scenario", ArgumentKind.Id)]),
        (CommandType.Shelter,        "shelter",           [Opt("scenario", ArgumentKind.Id)]),
        (CommandType.DrillStart,     "drill-start",       [Req("scenario", ArgumentKind.Id)]),
        (CommandType.DrillStop,      "drill-stop",        []),
        (CommandType.Acknowledge,    "acknowledge",       [Req("event_id", ArgumentKind.Uuid)]),
        (CommandType.Bypass,         "bypass",            [Req("point", ArgumentKind.Id), Req("until", ArgumentKind.Timestamp)]),
        (CommandType.Unbypass,       "unbypass",          [Req("point", ArgumentKind.Id)]),
        (CommandType.SetThreatLevel, "set-threat-level",  [new("level", ArgumentKind.Integer, Required: true, Min: 1, Max: 100)]),
        (CommandType.Rebirth,        "rebirth",           []),
        (CommandType.Resend,         "resend",            [new("from", ArgumentKind.Integer, Required: true, Min: 1), new("to", ArgumentKind.Integer, Required: true, Min: 1)]),
        (CommandType.Heard,          "heard",             [new("through", ArgumentKind.Integer, Required: true, Min: 1)]),
        (CommandType.TechnicianAccess,    "technician-access",     [Req("until", ArgumentKind.Timestamp)]),
        (CommandType.TechnicianAccessEnd, "technician-access-end", []),
        (CommandType.OpenDoor,       "open-door",         [Req("door", ArgumentKind.Id), new("seconds", ArgumentKind.Integer, Required: false, Min: 1, Max: OpenDoorMaxSeconds)]),
    ];

    /// <summary>
    /// The longest an <c>open-door</c> may hold a lock released: long enough for responders to reach
    /// and pass a door, short enough that a forgotten grant does not leave it open for long.
    /// </summary>
    public const int OpenDoorMaxSeconds = 300;

    private static readonly FrozenDictionary<string, CommandType> ByWire =
        Table.ToFrozenDictionary(r => r.Wire, r => r.Type, StringComparer.Ordinal);

    private static readonly FrozenDictionary<CommandType, (string Wire, ArgumentSpec[] Args)> ByType =
        Table.ToFrozenDictionary(r => r.Type, r => (r.Wire, r.Args));

    /// <summary>The wire name, e.g. <c>set-threat-level</c>.</summary>
    public static string Wire(CommandType type) => ByType[type].Wire;

    /// <summary>The type with this wire name, or null.</summary>
    public static CommandType? FromWire(string wire) => ByWire.TryGetValue(wire, out var type) ? type : null;

    /// <summary>The arguments <paramref name="type"/> takes.</summary>
    public static IReadOnlyList<ArgumentSpec> Arguments(CommandType type) => ByType[type].Args;

    /// <summary>Null when <paramref name="args"/> fits the type's arguments, else what is wrong.</summary>
    public static string? CheckArguments(CommandType type, JsonObjectItem args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var specs = Arguments(type);
        foreach (var name in args.Members.Keys)
        {
            if (!specs.Any(s => s.Name == name))
            {
                var known = specs.Count == 0 ? "none" : string.Join(", ", specs.Select(s => s.Name));
                return $"args: '{Wire(type)}' takes no argument '{name}' (known: {known})";
            }
        }

        foreach (var spec in specs)
        {
            if (!args.Members.TryGetValue(spec.Name, out var value))
            {
                if (spec.Required)
                {
                    return $"args: '{Wire(type)}' needs argument '{spec.Name}'";
                }

                continue;
            }

            if (CheckValue(spec, value) is { } problem)
            {
                return $"args.{spec.Name}: {problem}";
            }
        }

        return null;
    }

    private static string? CheckValue(ArgumentSpec spec, JsonItem value) => (spec.Kind, value) switch
    {
        (ArgumentKind.Id, JsonStringItem s) => IdPattern().IsMatch(s.Value) ? null : "must be 1-64 of [a-z0-9_-]",
        (ArgumentKind.Uuid, JsonStringItem s) => UuidPattern().IsMatch(s.Value) ? null : "must be a lowercase UUID",
        (ArgumentKind.Timestamp, JsonStringItem s) => TryParseTimestamp(s.Value) is null ? TimestampProblem : null,
        (ArgumentKind.Integer, JsonIntegerItem n) => n.Value >= spec.Min && n.Value <= spec.Max ? null : $"must be from {spec.Min} to {spec.Max}",
        (ArgumentKind.Integer, _) => "must be an integer",
        _ => "must be a string",
    };

    /// <summary>
    /// The earliest year a command's timestamp may carry: before any gateway ran, so only a
    /// mistake or a probe.
    /// </summary>
    public const int MinTimestampYear = 2000;

    /// <summary>
    /// The latest year a command's timestamp may carry. Far below <see cref="DateTimeOffset.MaxValue"/>
    /// so that the verifier's time arithmetic (expiry plus clock skew, the replay window) cannot
    /// overflow: a signed command expiring at 9999-12-31T23:59:59.999Z made it throw.
    /// </summary>
    public const int MaxTimestampYear = 9000;

    /// <summary>What is wrong with a timestamp <see cref="TryParseTimestamp"/> refuses, after the field's name.</summary>
    public static readonly string TimestampProblem =
        $"must be a timestamp like 2026-11-23T19:00:00.123Z, in the years {MinTimestampYear} to {MaxTimestampYear}";

    /// <summary>
    /// Parses the contract's one timestamp form (exactly <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>) in the
    /// years <see cref="MinTimestampYear"/> to <see cref="MaxTimestampYear"/>, or null.
    /// </summary>
    public static DateTimeOffset? TryParseTimestamp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TimestampPattern().IsMatch(text)
            && DateTimeOffset.TryParseExact(text, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at)
            && at.Year is >= MinTimestampYear and <= MaxTimestampYear
            ? at
            : null;
    }

    // \z, not $: in .NET $ also matches before a final newline, which would let "gw-1\n" through.
    /// <summary>Site, gateway, point, zone and scenario ids.</summary>
    [GeneratedRegex("^[a-z0-9_-]{1,64}\\z", RegexOptions.CultureInvariant)]
    internal static partial Regex IdPattern();

    /// <summary>Lowercase hyphenated UUID (contract common.schema.json uuid).</summary>
    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\z", RegexOptions.CultureInvariant)]
    internal static partial Regex UuidPattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();
}
