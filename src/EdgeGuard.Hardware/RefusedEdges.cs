using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware;

/// <summary>
/// The fault reason of an input source whose edge action threw (the Hardware README, "When the edge action
/// throws"): one wording for the expanders and the EOL loops, so the office reads the same thing for both.
/// </summary>
internal static class RefusedEdges
{
    /// <summary>Edges a chip or an ADC keeps at most for the action to take again.</summary>
    public const int MaxKept = 64;

    /// <summary>
    /// Says what happened since the last pass looked: the throws, the edges still kept and those lost.
    /// </summary>
    /// <param name="failed">Throws since the last pass.</param>
    /// <param name="kept">Edges kept now.</param>
    /// <param name="lost">Edges dropped from a full queue since the last pass.</param>
    /// <param name="message">The last exception's message.</param>
    /// <param name="points">Whose changes: "its points'" or "its loops'".</param>
    /// <param name="read">What retries: "read" or "poll".</param>
    public static string Describe(long failed, int kept, long lost, string? message, string points, string read)
    {
        var parts = new List<string>();
        if (failed > 0)
        {
            parts.Add($"the edge action failed {failed} time(s) on {points} changes ({message})");
        }

        // Kept: the controller holds an old level until the action takes them. None kept: all went through since.
        parts.Add(kept > 0
            ? $"{kept} edge(s) it did not take are kept and delivered again, in order, at every {read} until it does"
            : "the edges it did not take have been delivered since, in order");
        if (lost > 0)
        {
            parts.Add($"{lost} edge(s) lost (more than {MaxKept} kept), their levels delivered again");
        }

        return string.Join("; ", parts);
    }
}

/// <summary>
/// Hands one edge to an input source's edge action and counts the throws: an edge counts as taken only
/// once the action returned for it. One per chip or ADC; the source keeps what was refused.
/// </summary>
internal sealed class EdgeHandOff
{
    private long _failures;
    private Exception? _lastFailure;

    /// <summary>Times the action threw.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The most recent exception the action threw.</summary>
    public Exception? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Invokes <paramref name="action"/> on <paramref name="edge"/>; false (and counted) when it threw.</summary>
    public bool Hand(Action<RawEdge>? action, RawEdge edge)
    {
        try
        {
            action?.Invoke(edge);
            return true;
        }
#pragma warning disable CA1031 // Whatever the action threw, the edge was not taken: the source keeps it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failures);
            Volatile.Write(ref _lastFailure, ex);
            return false;
        }
    }
}
