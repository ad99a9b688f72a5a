namespace EdgeGuard.Core;

/// <summary>
/// Cutting anyone's text to a length limit for a record or a payload: the one place it is done, so
/// that no cut splits a surrogate pair. A lone surrogate is not valid UTF-16, and a JSON writer
/// turns it into an escape or a replacement character, so the text would no longer say what came.
/// </summary>
public static class TextCut
{
    /// <summary>
    /// At most <paramref name="max"/> UTF-16 units of <paramref name="text"/>, one fewer when the
    /// cut would fall between the two halves of a surrogate pair.
    /// </summary>
    /// <param name="text">The text to cut.</param>
    /// <param name="max">The most UTF-16 units kept; at least 1.</param>
    public static string Cut(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        return text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];
    }
}
