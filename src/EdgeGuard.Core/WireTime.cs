using System.Text;

namespace EdgeGuard.Core;

/// <summary>The one timestamp format EdgeGuard writes anywhere a person or the office reads it.</summary>
public static class WireTime
{
    /// <summary>Length of the form in characters (and UTF-8 bytes, all ASCII).</summary>
    public const int Length = 24;

    /// <summary>UTC, millisecond precision, <c>Z</c> suffix: <c>2026-11-23T19:00:00.123Z</c> (the MQTT contract's form).</summary>
    public static string Format(DateTimeOffset at)
    {
        Span<byte> text = stackalloc byte[Length];
        FormatUtf8(at, text);
        return Encoding.ASCII.GetString(text);
    }

    /// <summary>
    /// Writes <see cref="Format"/>'s form as UTF-8 into the first <see cref="Length"/> bytes of
    /// <paramref name="into"/>. Digit by digit: a custom format string is parsed again on every
    /// call, and every event payload carries a timestamp. DateTime's fields always fit their
    /// widths (years 1 to 9999).
    /// </summary>
    public static void FormatUtf8(DateTimeOffset at, Span<byte> into)
    {
        var utc = at.UtcDateTime;
        Digits(into[..4], utc.Year);
        into[4] = (byte)'-';
        Digits(into.Slice(5, 2), utc.Month);
        into[7] = (byte)'-';
        Digits(into.Slice(8, 2), utc.Day);
        into[10] = (byte)'T';
        Digits(into.Slice(11, 2), utc.Hour);
        into[13] = (byte)':';
        Digits(into.Slice(14, 2), utc.Minute);
        into[16] = (byte)':';
        Digits(into.Slice(17, 2), utc.Second);
        into[19] = (byte)'.';
        Digits(into.Slice(20, 3), utc.Millisecond);
        into[23] = (byte)'Z';
    }

    // Writes value as exactly into.Length decimal digits.
    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
