using System.Globalization;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The faults the takeover leaves, made before its commit so that they are written in it
// (JournalDatabase.Replace.cs): a kill after the volatile journal was renamed and before the
// writer journaled the fault lost it for good.
public static partial class JournalOpener
{
    // What the volatile journal leaves the office to know once moved to aside: itself unreadable
    // (its lockdown may be lost), or events of it not delivered; null when neither.
    private static JournalReplaced? LeftBy(Found? found, string? unreadable, string fallbackPath, string aside, string realPath, TimeProvider time)
    {
        if (unreadable is not null)
        {
            return new(time.GetUtcNow(), realPath, aside, $"{UnreadableText(fallbackPath, unreadable)}; it is kept at {aside} until power-off");
        }

        var undelivered = found?.Undelivered ?? 0;
        return undelivered == 0 ? null : new(time.GetUtcNow(), realPath, aside, string.Create(CultureInfo.InvariantCulture,
            $"the gateway ran on the volatile fallback journal before this restart and {undelivered} of its events were not delivered; they are in that file until power-off"));
    }

    // One fault per start: the replace's (recorded), which then also says what the volatile one left.
    private static JournalReplaced? Combined(JournalReplaced? recorded, JournalReplaced? left) =>
        recorded is not null && left is not null
            ? recorded with { Problem = $"{recorded.Problem}; {left.Problem} ({left.KeptAt})" }
            : recorded ?? left;

    private static string UnreadableText(string fallbackPath, string problem) =>
        $"the volatile fallback journal {fallbackPath} the gateway ran on before this restart cannot be read ({problem}), so a safety state it held (a lockdown) may have been lost and events it had not delivered are not sent";

    // The fault recorded again after a rename that failed, naming where the file is. Best effort:
    // the one recorded in the takeover's commit still tells the office, with a path off by a rename.
    private static void RecordAgain(JournalDatabase database, JournalReplaced? fault)
    {
        try
        {
            database.InTransaction(transaction => JournalDatabase.SetPendingFault(transaction, fault));
        }
        catch (JournalException)
        {
        }
    }

    // The fault recorded in the real journal and not yet journaled; null when none is, or when it
    // cannot be read (the start then has no fault of its own to report).
    private static JournalReplaced? Pending(JournalDatabase database)
    {
        try
        {
            return database.PendingFault();
        }
        catch (JournalException)
        {
            return null;
        }
    }
}
