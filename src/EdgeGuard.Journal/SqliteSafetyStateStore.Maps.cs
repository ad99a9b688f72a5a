using System.Collections.Immutable;
using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal;

// The row's maps as text: door releases, door alarms and point bypasses, each "id=value" joined
// by ';'. Read back exactly or refused (Corrupt), like the rest of the row.
public sealed partial class SqliteSafetyStateStore
{
    private static string DoorReleaseText(DoorRelease release) => release switch
    {
        DoorRelease.RequestToExit => "request-to-exit",
        DoorRelease.DelayedEgressCounting => "delayed-egress-counting",
        DoorRelease.DelayedEgressReleased => "delayed-egress-released",
        _ => throw new ArgumentOutOfRangeException(nameof(release), release, "This safety state store has no persisted name for the door release."),
    };

    // Unknown is not "locked": guessing could relock a door somebody is escaping through.
    private ImmutableSortedDictionary<string, DoorRelease>? ParseDoorReleases(string text) =>
        ParseMap(text, "door release", "; refusing to guess whether the door may lock", value => value switch
        {
            "request-to-exit" => (true, DoorRelease.RequestToExit),
            "delayed-egress-counting" => (true, DoorRelease.DelayedEgressCounting),
            "delayed-egress-released" => (true, DoorRelease.DelayedEgressReleased),
            _ => (false, default),
        });

    private static string DoorAlarmText(DoorAlarm alarm) => string.Join('+',
        new[] { (DoorAlarm.Forced, "forced"), (DoorAlarm.HeldOpen, "held-open") }.Where(a => alarm.HasFlag(a.Item1)).Select(a => a.Item2));

    private ImmutableSortedDictionary<string, DoorAlarm>? ParseDoorAlarms(string text) =>
        ParseMap(text, "door alarm", "", value =>
        {
            var alarm = DoorAlarm.None;
            foreach (var name in value.Split('+'))
            {
                var one = name switch { "forced" => DoorAlarm.Forced, "held-open" => DoorAlarm.HeldOpen, _ => DoorAlarm.None };
                if (one == DoorAlarm.None)
                {
                    return (false, alarm);
                }

                alarm |= one;
            }

            return (true, alarm);
        });

    private static string BypassText(PointBypass bypass) =>
        $"{bypass.Until.ToString("O", CultureInfo.InvariantCulture)}|{Uri.EscapeDataString(bypass.Operator)}";

    // Unreadable is not "no bypass" either way: refuse rather than guess what is in service.
    private ImmutableSortedDictionary<string, PointBypass>? ParseBypasses(string text) =>
        ParseMap(text, "point bypass", "", value =>
        {
            var parts = value.Split('|');
            return parts.Length == 2 && parts[1].Length > 0
                && DateTimeOffset.TryParseExact(parts[0], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var until)
                ? (true, new PointBypass(until, Uri.UnescapeDataString(parts[1])))
                : (false, null!);
        });

    // The breached perimeter points, "id;id": empty text is none; an empty or repeated id makes the
    // row corrupt, as a damaged map entry does (a guess could alarm again, or never).
    private ImmutableSortedSet<string>? ParseBreaches(string text) =>
        text.Length == 0 ? null : ParseIds(text, "perimeter breach", "which points were already judged");

    // "id;id" of the panic buttons held since their press was decided; empty text is a record of
    // none (an empty set, not null: unlike no record, it says a held button at boot is a new press).
    private ImmutableSortedSet<string> ParseHeldPanics(string text) =>
        ParseIds(text, "held panic button", "which presses were already decided");

    // An "id;id" set column: ids never hold ';'. Empty text is the empty set; an empty or repeated id
    // makes the whole row corrupt, never a guess.
    private ImmutableSortedSet<string> ParseIds(string text, string what, string guess)
    {
        var set = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var id in text.Length == 0 ? [] : text.Split(';'))
        {
            if (id.Length == 0 || !set.Add(id))
            {
                throw Corrupt($"has an unreadable {what} '{id}'; refusing to guess {guess}.");
            }
        }

        return set.ToImmutable();
    }

    // "id;id" of the fire inputs that raised under the saved release. Refused, not guessed: a
    // wrong record could keep a zone's fire silent at boot.
    private ImmutableSortedSet<string> ParseFireRaised(string text) =>
        ParseIds(text, "raised fire input", "which fires the office was told of");

    // The map columns (door releases, door alarms, bypasses) are "id=value;id=value": ids never hold
    // ';' or '='. Empty text is no entry; an entry that does not read back, or repeats an id, makes the
    // whole row corrupt, never a guess.
    private static string FormatMap<T>(IEnumerable<KeyValuePair<string, T>> map, Func<T, string> value) =>
        string.Join(';', map.Select(entry => $"{entry.Key}={value(entry.Value)}"));

    private ImmutableSortedDictionary<string, T>? ParseMap<T>(string text, string what, string why, Func<string, (bool Read, T Value)> value)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var map = ImmutableSortedDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        foreach (var entry in text.Split(';'))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var (read, parsed) = equals > 0 && equals < entry.Length - 1 ? value(entry[(equals + 1)..]) : (false, default!);
            if (!read || !map.TryAdd(entry[..equals], parsed))
            {
                throw Corrupt($"has an unreadable {what} '{entry}'{why}.");
            }
        }

        return map.ToImmutable();
    }
}
