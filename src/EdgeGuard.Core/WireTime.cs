using System.Globalization;

namespace EdgeGuard.Core;

/// <summary>The one timestamp format EdgeGuard writes anywhere a person or the office reads it.</summary>
public static class WireTime
{
    /// <summary>UTC, millisecond precision, <c>Z</c> suffix: <c>2026-11-23T19:00:00.123Z</c> (the MQTT contract's form).</summary>
    public static string Format(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffZ", CultureInfo.InvariantCulture);
}
