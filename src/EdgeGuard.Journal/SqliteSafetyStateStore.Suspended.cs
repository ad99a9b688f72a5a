using System.Collections.Immutable;
using System.Globalization;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The suspended column: the real scenarios a takeover suspended (SafetyState.Suspensions).
public sealed partial class SqliteSafetyStateStore
{
    // They are a stack, oldest first, so unlike the map columns (sorted by id) the order is kept as
    // given: entries "mode|scenario|cause|point|since|drill" joined by ';', empty text for none.
    // Uri.EscapeDataString leaves only unreserved characters and %XX, so no text field can hold a
    // separator; point is empty when there is none; since is ISO-8601 'O' (every tick, the offset);
    // drill is always 0 (only a real scenario is suspended; kept in the text so a later release
    // could widen that without a new schema, refused as unreadable until then).
    private const int SuspendedFields = 6;

    // Refuses what could not mean anything on load, or would not load back as given: the caller
    // sees the ArgumentException, and the previous state stays stored.
    private static string FormatSuspended(SafetyState state)
    {
        var suspended = state.SuspendedScenarios;
        var entries = new string[suspended.Count];
        for (var i = 0; i < suspended.Count; i++)
        {
            var entry = suspended[i];
            if (entry.Mode == SiteMode.Normal)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Suspended scenario {i + 1} ('{entry.Info.Scenario}') has mode Normal: it keeps no lock and has nothing to run again."), nameof(state));
            }

            if (entry.Info.Drill)
            {
                // A takeover never suspends a drill (it is no protection to keep), and a resumed
                // drill would lock for a drill and report itself as real.
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Suspended scenario {i + 1} ('{entry.Info.Scenario}') is a drill: only a real scenario is suspended."), nameof(state));
            }

            if (entry.Info.Point is { Length: 0 })
            {
                // An empty field is how "no point" is written; an empty id would load back as none.
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Suspended scenario {i + 1} ('{entry.Info.Scenario}') has an empty point id; use null for no point."), nameof(state));
            }

            entries[i] = SuspendedText(entry);
        }

        return string.Join(';', entries);
    }

    private static string SuspendedText(SuspendedScenario suspended) => string.Join(
        '|',
        ModeText(suspended.Mode),
        Uri.EscapeDataString(suspended.Info.Scenario),
        Uri.EscapeDataString(suspended.Info.Cause),
        suspended.Info.Point is { } point ? Uri.EscapeDataString(point) : string.Empty,
        suspended.Info.Since.ToString("O", CultureInfo.InvariantCulture),
        suspended.Info.Drill ? "1" : "0");

    // Unreadable is neither "none" nor a best guess: which locks stay locked depends on each entry.
    private ImmutableList<SuspendedScenario>? ParseSuspended(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var entries = text.Split(';');
        var list = ImmutableList.CreateBuilder<SuspendedScenario>();
        for (var i = 0; i < entries.Length; i++)
        {
            list.Add(ParseSuspendedEntry(entries[i]) ?? throw Corrupt(string.Create(CultureInfo.InvariantCulture,
                $"has an unreadable suspended scenario {i + 1} '{entries[i]}'; refusing to guess which locks it keeps locked.")));
        }

        return list.ToImmutable();
    }

    private static SuspendedScenario? ParseSuspendedEntry(string entry)
    {
        var fields = entry.Split('|');
        // Normal is refused like an unknown mode: Save never writes it, and it could mean nothing.
        if (fields.Length != SuspendedFields
            || ModeFromText(fields[0]) is not { } mode || mode == SiteMode.Normal
            || !DateTimeOffset.TryParseExact(fields[4], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var since)
            || fields[5] != "0")
        {
            return null;
        }

        var point = fields[3].Length == 0 ? null : Uri.UnescapeDataString(fields[3]);
        var parsed = new SuspendedScenario(
            mode,
            new LockdownInfo(Uri.UnescapeDataString(fields[2]), point, since, Uri.UnescapeDataString(fields[1]), fields[5] == "1"));
        // Only the spelling Save writes is read: a stray '%', "%2D" for '-' or a since in another
        // ISO-8601 form each read as *something*, and which was meant is a guess. Written again, an
        // entry must give back exactly the text it was read from.
        return string.Equals(SuspendedText(parsed), entry, StringComparison.Ordinal) ? parsed : null;
    }
}
