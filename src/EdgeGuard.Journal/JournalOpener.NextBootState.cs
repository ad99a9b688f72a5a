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
    /// (its seqs above) and holds one, else the real journal's; <see cref="SafetyState.Initial"/>
    /// when neither file exists. Opens both read-only.
    /// </summary>
    /// <returns>The state, and whether it came from the volatile journal.</returns>
    /// <exception cref="JournalException">A journal that exists cannot be read.</exception>
    public static (SafetyState State, bool FromFallback) NextBootState(string path, string fallbackPath)
    {
        (long Top, SafetyState? State)? real = null;
        if (File.Exists(path))
        {
            using var database = JournalDatabase.OpenReadOnly(path);
            real = (database.SeqTop(), new SqliteSafetyStateStore(database).Load());
        }

        if (File.Exists(fallbackPath))
        {
            using var fallback = JournalDatabase.OpenReadOnly(fallbackPath);
            if ((real is null || fallback.SeqTop() > real.Value.Top) && DecidedOn(fallback) is { } newer)
            {
                return (newer, true);
            }
        }

        return (real?.State ?? SafetyState.Initial, false);
    }
}
