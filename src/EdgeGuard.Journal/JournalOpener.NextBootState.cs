using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The safety state the gateway's next start boots in, read without writing anything: for a tool
// that runs instead of the gateway (the walk test), which must hold the outputs at what the gateway
// would drive. The take-over's rule (JournalOpener.TakeOver.cs): a volatile journal above the real
// one ran after it, and its saved state, if it holds one, is the newer.
public static partial class JournalOpener
{
    /// <summary>
    /// The saved safety state the next start boots in: the volatile journal's at
    /// <paramref name="fallbackPath"/> when it ran after the real journal at <paramref name="path"/>
    /// (its seqs above, or the real journal was made in place of a damaged one and has not taken it over)
    /// and holds one, else the real journal's; <see cref="SafetyState.Initial"/>
    /// when neither file exists. Opens both read-only.
    /// </summary>
    /// <returns>The state, and whether it came from the volatile journal.</returns>
    /// <exception cref="JournalException">A journal that exists cannot be read.</exception>
    public static (SafetyState State, bool FromFallback) NextBootState(string path, string fallbackPath)
    {
        (long Top, bool ReplacePending, SafetyState? State)? real = null;
        if (File.Exists(path))
        {
            using var database = JournalDatabase.OpenReadOnly(path);
            real = (database.SeqTop(), database.ReplacePending(), new SqliteSafetyStateStore(database).Load());
        }

        if (File.Exists(fallbackPath))
        {
            using var fallback = JournalDatabase.OpenReadOnly(fallbackPath);
            // A real journal made in place of a damaged one, its take-over not done, has no run of its
            // own (its floor, from the clock, may be above the volatile journal's top): as the
            // take-over's createdNow, anything the volatile journal holds is newer.
            if ((real is not { } card || card.ReplacePending || fallback.SeqTop() > card.Top) && DecidedOn(fallback) is { } newer)
            {
                return (newer, true);
            }
        }

        return (real?.State ?? SafetyState.Initial, false);
    }
}
