using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace EdgeGuard.Core.Commands;

/// <summary>A JSON value as a command may carry it: strings, integers, booleans, null, arrays, objects.</summary>
public abstract record JsonItem;

/// <summary>A JSON string (any Unicode scalar values; no lone surrogates).</summary>
public sealed record JsonStringItem(string Value) : JsonItem;

/// <summary>A JSON integer. Fractions and exponents are refused so every number has exactly one written form.</summary>
public sealed record JsonIntegerItem(long Value) : JsonItem;

/// <summary><c>true</c> or <c>false</c>.</summary>
public sealed record JsonBooleanItem(bool Value) : JsonItem;

/// <summary><c>null</c>.</summary>
public sealed record JsonNullItem : JsonItem
{
    /// <summary>The one null.</summary>
    public static JsonNullItem Instance { get; } = new();
}

/// <summary>A JSON array, in order.</summary>
public sealed record JsonArrayItem(ImmutableArray<JsonItem> Items) : JsonItem;

/// <summary>A JSON object; members sorted by ordinal (UTF-16 code unit) order of their names, no duplicates.</summary>
public sealed record JsonObjectItem(ImmutableSortedDictionary<string, JsonItem> Members) : JsonItem
{
    /// <summary>The empty object <c>{}</c>.</summary>
    public static JsonObjectItem Empty { get; } = new(ImmutableSortedDictionary.Create<string, JsonItem>(StringComparer.Ordinal));
}

/// <summary>
/// A strict JSON reader and the canonical JSON writer used for signing commands.
/// Strict because the canonical form must be a function of the meaning of a payload: anything
/// that could make two readers see different meanings (duplicate names, invalid UTF-8, lone
/// surrogates, numbers with several spellings, comments, trailing data) is refused.
/// </summary>
public static class StrictJson
{
    /// <summary>Nesting limit; commands are flat, this only stops stack exhaustion from hostile input.</summary>
    public const int MaxDepth = 16;

    /// <summary>Parses <paramref name="utf8"/>; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static JsonItem? TryParse(ReadOnlySpan<byte> utf8, out string? error)
    {
        // Utf8JsonReader does not validate every byte of string contents up front; check it all here.
        if (!Utf8.IsValid(utf8))
        {
            error = "payload is not valid UTF-8";
            return null;
        }

        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = "payload is empty";
            return null;
        }

        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            error = "payload starts with a byte order mark";
            return null;
        }

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = MaxDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
        try
        {
            if (!reader.Read())
            {
                error = "payload is empty";
                return null;
            }

            var item = ReadValue(ref reader, out error);
            if (item is null)
            {
                return null;
            }

            // With isFinalBlock the reader throws on a second value; Read() returning true would be a bug.
            if (reader.Read())
            {
                error = "payload has data after the JSON value";
                return null;
            }

            return item;
        }
        catch (JsonException ex)
        {
            error = $"payload is not JSON: {ex.Message}";
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // GetString() throws this for an escaped lone surrogate such as "\ud800".
            error = $"payload is not JSON: {ex.Message}";
            return null;
        }
    }

    private static JsonItem? ReadValue(ref Utf8JsonReader reader, out string? error)
    {
        error = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (HasLoneSurrogate(text))
                {
                    error = "a string contains a lone surrogate";
                    return null;
                }

                return new JsonStringItem(text);
            case JsonTokenType.Number:
                return ReadInteger(reader.ValueSpan, out error);
            case JsonTokenType.True:
                return new JsonBooleanItem(true);
            case JsonTokenType.False:
                return new JsonBooleanItem(false);
            case JsonTokenType.Null:
                return JsonNullItem.Instance;
            case JsonTokenType.StartArray:
                var items = ImmutableArray.CreateBuilder<JsonItem>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var item = ReadValue(ref reader, out error);
                    if (item is null)
                    {
                        return null;
                    }

                    items.Add(item);
                }

                return new JsonArrayItem(items.ToImmutable());
            case JsonTokenType.StartObject:
                var members = ImmutableSortedDictionary.CreateBuilder<string, JsonItem>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    // Compared after unescaping: "a" and "\u0061" are the same name, hence a duplicate.
                    var name = reader.GetString()!;
                    if (HasLoneSurrogate(name))
                    {
                        error = "a member name contains a lone surrogate";
                        return null;
                    }

                    if (members.ContainsKey(name))
                    {
                        error = $"duplicate member '{name}'";
                        return null;
                    }

                    reader.Read();
                    var value = ReadValue(ref reader, out error);
                    if (value is null)
                    {
                        return null;
                    }

                    members.Add(name, value);
                }

                return new JsonObjectItem(members.ToImmutable());
            default:
                error = $"unexpected token {reader.TokenType}";
                return null;
        }
    }

    private static JsonIntegerItem? ReadInteger(ReadOnlySpan<byte> raw, out string? error)
    {
        // The reader has already checked JSON number syntax; only plain integers are allowed on top.
        error = null;
        var digits = raw[0] == (byte)'-' ? raw[1..] : raw;
        var plain = digits.Length > 0 && !digits.ContainsAnyExcept("0123456789"u8);
        if (!plain || (raw[0] == (byte)'-' && digits.SequenceEqual("0"u8)))
        {
            error = $"number {Encoding.UTF8.GetString(raw)} is not a plain integer (no fraction, exponent or -0)";
            return null;
        }

        if (!long.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            error = $"number {Encoding.UTF8.GetString(raw)} is out of range";
            return null;
        }

        return new JsonIntegerItem(value);
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The canonical UTF-8 bytes of <paramref name="item"/>: no whitespace; object members in
    /// ordinal order of their names; strings escape only <c>"</c>, <c>\</c> and U+0000–U+001F
    /// (as <c>\b \t \n \f \r</c> or <c>\u00xx</c>, lowercase hex), every other character as UTF-8;
    /// integers in plain decimal. This is RFC 8785 (JCS) restricted to integers.
    /// </summary>
    public static byte[] Canonical(JsonItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var builder = new StringBuilder();
        Write(builder, item);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Appends the canonical text of <paramref name="item"/> (see <see cref="Canonical"/>).</summary>
    internal static void Write(StringBuilder to, JsonItem item)
    {
        switch (item)
        {
            case JsonStringItem s:
                WriteString(to, s.Value);
                break;
            case JsonIntegerItem n:
                to.Append(n.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonBooleanItem b:
                to.Append(b.Value ? "true" : "false");
                break;
            case JsonNullItem:
                to.Append("null");
                break;
            case JsonArrayItem a:
                to.Append('[');
                for (var i = 0; i < a.Items.Length; i++)
                {
                    if (i > 0)
                    {
                        to.Append(',');
                    }

                    Write(to, a.Items[i]);
                }

                to.Append(']');
                break;
            case JsonObjectItem o:
                to.Append('{');
                var first = true;
                foreach (var (name, value) in o.Members)
                {
                    if (!first)
                    {
                        to.Append(',');
                    }

                    first = false;
                    WriteString(to, name);
                    to.Append(':');
                    Write(to, value);
                }

                to.Append('}');
                break;
            default:
                throw new ArgumentException($"unknown JSON item {item.GetType().Name}", nameof(item));
        }
    }

    private static void WriteString(StringBuilder to, string value)
    {
        to.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': to.Append("\\\""); break;
                case '\\': to.Append("\\\\"); break;
                case '\b': to.Append("\\b"); break;
                case '\t': to.Append("\\t"); break;
                case '\n': to.Append("\\n"); break;
                case '\f': to.Append("\\f"); break;
                case '\r': to.Append("\\r"); break;
                case < ' ': to.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: to.Append(c); break;
            }
        }

        to.Append('"');
    }
}
