using System.Text.Json;

namespace EdgeGuard.Configuration;

/// <summary>
/// What the configuration framework takes from a file without a word, found in the file's own
/// JSON: a key at the file's root that nothing reads, and a key repeated in one object.
/// </summary>
/// <remarks>
/// <para>A section a stray brace moved out of <c>EdgeGuard</c> to the root (<c>drill</c>,
/// <c>mqtt</c>, <c>commands</c>) was ignored and its defaults applied: every drill sounded the
/// real siren, or the gateway ran without the office link. Only <c>EdgeGuard</c> and
/// <c>Logging</c> are read from the file's root; the generic host also looks there for
/// <c>shutdownTimeoutSeconds</c>, <c>startupTimeoutSeconds</c>, <c>servicesStartConcurrently</c>
/// and <c>servicesStopConcurrently</c>, none of which the gateway means to be set (its stop order
/// and budget are its own), so they are reported like any other.</para>
/// <para>Two objects under one key were merged key by key (the framework refuses only a value
/// given twice), so a second <c>mqtt</c> meant to replace the first took its host from the first.
/// Keys compare case-insensitively, as configuration keys do. Environment variables and overrides
/// are not the file: they are not looked at here.</para>
/// </remarks>
internal static class ConfigFileShape
{
    /// <summary>The top-level keys the gateway reads from its file.</summary>
    public static readonly string[] RootKeys = [GatewayConfigReader.SectionName, "Logging"];

    // As the framework's JSON source reads the file, so the same files pass.
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Every unknown root key and every repeated key of <paramref name="json"/>, each at its
    /// configuration path (<c>EdgeGuard:mqtt</c>), in file order; empty for a file that is not
    /// JSON (the framework's parse reports that).
    /// </summary>
    public static IReadOnlyList<ConfigError> Problems(ReadOnlySpan<byte> json)
    {
        // Skipped as the framework skips it (an editor's UTF-8 byte order mark); the JSON reader
        // would refuse the file and nothing be checked.
        if (json.StartsWith(Utf8Bom))
        {
            json = json[Utf8Bom.Length..];
        }

        var problems = new List<ConfigError>();
        var lines = new LineCounter();
        var open = new Stack<Container>();
        string? name = null;
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        name = reader.GetString()!;
                        var line = lines.At(json, reader.TokenStartIndex);
                        var container = open.Peek();
                        var path = container.ChildPath(name);
                        if (container.Keys!.TryGetValue(name, out var first))
                        {
                            problems.Add(new ConfigError(path,
                                $"'{name}' is given twice in the same object (lines {first} and {line}); the two are merged key by key, which neither meant: keep one"));
                        }
                        else
                        {
                            container.Keys[name] = line;
                            if (open.Count == 1 && !RootKeys.Contains(name, StringComparer.OrdinalIgnoreCase))
                            {
                                problems.Add(new ConfigError(path, UnknownRootKey(name)));
                            }
                        }

                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var at = open.TryPeek(out var parent) ? parent.Next(name) : "";
                        open.Push(new Container(at, reader.TokenType == JsonTokenType.StartArray));
                        name = null;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.Pop();
                        break;
                    default:
                        if (open.TryPeek(out var holder))
                        {
                            holder.Next(name);
                        }

                        name = null;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return [];
        }

        return problems;
    }

    private static string UnknownRootKey(string name)
    {
        var section = GatewayConfigReader.RootKeys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        var hint = section is not null
            ? $" (did you mean '{GatewayConfigReader.SectionName}:{section}'? A brace closed '{GatewayConfigReader.SectionName}' before it, or it was pasted outside)"
            : ConfigWalker.SuggestionHint(name, RootKeys);
        return $"unknown top-level key '{name}'{hint}: nothing reads it, so its settings are not applied; the file's root holds {string.Join(" and ", RootKeys)}";
    }

    /// <summary>An object (its keys → the line each was first given on) or an array (its next index).</summary>
    private sealed class Container(string path, bool isArray)
    {
        private int _index;

        public Dictionary<string, int>? Keys { get; } = isArray ? null : new(StringComparer.OrdinalIgnoreCase);

        public string ChildPath(string key) => path.Length == 0 ? key : $"{path}:{key}";

        /// <summary>The path of the next item: the property just named, or the array's next index.</summary>
        public string Next(string? property) =>
            isArray ? ChildPath((_index++).ToString(System.Globalization.CultureInfo.InvariantCulture)) : ChildPath(property ?? "");
    }

    /// <summary>Line numbers of byte offsets met in increasing order, counted once.</summary>
    private sealed class LineCounter
    {
        private long _offset;
        private int _line = 1;

        public int At(ReadOnlySpan<byte> json, long offset)
        {
            _line += json[(int)_offset..(int)offset].Count((byte)'\n');
            _offset = offset;
            return _line;
        }
    }
}
