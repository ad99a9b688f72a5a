using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the events the journal raises about itself: full, recovered, a declared gap, and the
// start on a journal other than the one the last run wrote (replaced, unavailable).
public static partial class EventDataWriter
{
    /// <summary>The wire text of a gap's cause (the contract's JournalGapData.cause).</summary>
    internal static string GapCauseText(JournalGapCause cause) => cause switch
    {
        JournalGapCause.UncleanShutdown => "unclean-shutdown",
        JournalGapCause.NewJournal => "new-journal",
        JournalGapCause.FallbackJournal => "fallback-journal",
        JournalGapCause.WentBack => "went-back",
        _ => "write-failed",
    };

    private static (string? Point, string? Zone, bool Known) WriteJournalFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            case JournalFull e:
                writer.WriteNumber("undelivered", e.Undelivered);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case JournalRecovered e:
                writer.WriteNumber("dropped", e.Dropped);
                return (null, null, true);

            case JournalGap e:
                writer.WriteNumber("fromSeq", e.FromSeq);
                writer.WriteNumber("throughSeq", e.ThroughSeq);
                writer.WriteString("cause", GapCauseText(e.Cause));
                return (null, null, true);

            // Paths are the gateway's own (state and runtime directories), short; the problem may
            // carry SQLite's message, which the contract caps like every reason.
            case JournalReplaced e:
                writer.WriteString("path", e.Path);
                writer.WriteString("keptAt", e.KeptAt);
                writer.WriteString("reason", CutReason(e.Problem));
                return (null, null, true);

            case JournalUnavailable e:
                writer.WriteString("path", e.Path);
                writer.WriteString("fallbackPath", e.FallbackPath);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            default:
                return WriteOfficeFields(domainEvent, writer);
        }
    }
}
