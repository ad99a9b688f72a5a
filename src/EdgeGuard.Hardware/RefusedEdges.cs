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
