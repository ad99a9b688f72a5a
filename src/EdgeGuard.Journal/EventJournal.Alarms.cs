using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// What the office's acknowledgement needs to know of the event it names, read here so the loop
// that drives the locks never waits on a journal read.
public sealed partial class EventJournal
{
    // The refusal of a trigger: an alert the siren sounds for only when its data says it sounded it.
    private const string RefusedType = "lockdown.start-refused";

    /// <summary>
    /// The journaled event with this id as an alarm the office may acknowledge, or null when the
    /// journal does not hold it (<see cref="FindById"/>). Says whether it is the latest alert the
    /// siren sounds for: after a restart the decider has only this to tell it from an older one.
    /// A refusal that sounded the siren again is such an alert (of the lockdown: a shelter never
    /// sounds it); one that did not is none.
    /// </summary>
    /// <exception cref="JournalException">SQLite failed or the stored row cannot be read back.</exception>
    public JournaledAlarm? FindAlarm(Guid id)
    {
        if (FindById(id) is not { } record)
        {
            return null;
        }

        var sirenRestarted = record.Type == RefusedType && SirenRestarted(record.DataJson);
        var mode = sirenRestarted ? ModeTypes.Prefix(SiteMode.Lockdown) : StartOrRetriggerMode(record.Type);
        return new JournaledAlarm(record.Id, record.Type, record.Timestamp, record.Severity, record.Point, record.Drill)
        {
            SirenRestarted = sirenRestarted,
            LatestStartOrRetrigger = mode is not null && !HasStartOrRetriggerAfter(record.Seq, mode, record.Drill),
        };
    }

    // "lockdown" for lockdown.started or lockdown.retriggered; null for any other type.
    private static string? StartOrRetriggerMode(string type) =>
        type.EndsWith(".started", StringComparison.Ordinal) ? type[..^".started".Length]
        : type.EndsWith(".retriggered", StringComparison.Ordinal) ? type[..^".retriggered".Length]
        : null;

    // A refusal journaled before the flag existed says nothing: taken as not sounded, so it can
    // never silence a siren that sounds for a newer alert (the siren still times out).
    private static bool SirenRestarted(string dataJson)
    {
        using var data = JsonDocument.Parse(dataJson);
        return data.RootElement.TryGetProperty("sirenRestarted", out var flag) && flag.ValueKind == JsonValueKind.True;
    }
}
