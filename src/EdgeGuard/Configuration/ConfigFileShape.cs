using System.Text;
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
/// and budget are its own), so they are reported like any other. A key with <c>:</c> in it is a
/// path to the framework (<c>"Logging:LogLevel:Default"</c> at the root is Logging's), so only its
/// first segment is judged.</para>
/// <para>Two objects under one key were merged key by key (the framework refuses only a value
/// given twice), so a second <c>mqtt</c> meant to replace the first took its host from the first.
/// Likewise a colon key and nested keys of the same path (<c>"EdgeGuard:mqtt"</c> at the root and
/// <c>mqtt</c> inside <c>EdgeGuard</c>). Keys compare case-insensitively, as configuration keys
/// do. The text checked is the one the framework parsed (its encoding followed, bytes that are not
/// UTF-8 replaced). Environment variables and overrides are not the file: they are not looked at
/// here.</para>
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

    /// <summary>
    /// Every unknown root key and every repeated key of the configuration file whose bytes are
    /// <paramref name="file"/>, each at its configuration path (<c>EdgeGuard:mqtt</c>), in file
    /// order; for a file the framework took but this scan cannot read, one problem at
    /// <paramref name="path"/>. Never throws for what the file holds.
    /// </summary>
    /// <param name="file">The file's bytes, which the framework has parsed.</param>
    /// <param name="path">The file's path, where a problem with the file as a whole is reported.</param>
    public static IReadOnlyList<ConfigError> Problems(byte[] file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        // The text the framework parses: its JSON source reads the file through a StreamReader,
        // which follows a byte order mark (UTF-8, UTF-16, UTF-32) and makes bytes that are not
        // UTF-8 U+FFFD. Scanning the raw bytes instead threw "Cannot transcode invalid UTF-8" out
        // of Build for a key saved in Latin-1 (exit 1, restarted by systemd), and checked nothing
        // in a UTF-16 file. Re-encoded, the text is valid UTF-8 with the same lines.
        string text;
        using (var reader = new StreamReader(new MemoryStream(file, writable: false)))
        {
            text = reader.ReadToEnd();
        }

        try
        {
            return Scan(Encoding.UTF8.GetBytes(text));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not expected (the framework parsed the same text with the same options), but a
            // check that cannot run must not let the file through unchecked, nor stop the verb.
            return [new ConfigError(path, $"its keys could not be checked for a section at the file's root or a key given twice: {ex.Message}")];
        }
    }

    private static List<ConfigError> Scan(ReadOnlySpan<byte> json)
    {
        var problems = new List<ConfigError>();
        var lines = new LineCounter();
        var open = new Stack<Container>();
        // Every path given in the file → its line: a key with ':' in it ("EdgeGuard:mqtt") is read
        // by the framework as that path, so it and nested keys can give the same setting twice.
        var given = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        string? name = null;
        var repeated = false;
        var reader = new Utf8JsonReader(json, Options);
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
                        repeated = true;
                        problems.Add(new ConfigError(path,
                            $"'{name}' is given twice in the same object (lines {first} and {line}); the two are merged key by key, which neither meant: keep one"));
                        break;
                    }

                    container.Keys[name] = line;
                    if (given.TryGetValue(path, out var before))
                    {
                        repeated = true;
                        // Inside a key already reported, its keys are the same merge again.
                        if (!container.Repeated)
                        {
                            problems.Add(new ConfigError(path,
                                $"'{path}' is given twice (lines {before} and {line}; a key with ':' in it is the path of nested keys); the two are merged key by key, which neither meant: keep one"));
                        }

                        break;
                    }

                    given[path] = line;
                    repeated = false;
                    // "Logging:LogLevel:Default" at the root is Logging's: only the first segment
                    // is the top-level key.
                    var top = name.Split(':')[0];
                    if (open.Count == 1 && !RootKeys.Contains(top, StringComparer.OrdinalIgnoreCase))
                    {
                        problems.Add(new ConfigError(path, UnknownRootKey(top)));
                    }

                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    var at = open.TryPeek(out var parent) ? parent.Next(name) : "";
                    var inRepeat = parent is not null && (parent.Repeated || (!parent.IsArray && repeated));
                    open.Push(new Container(at, reader.TokenType == JsonTokenType.StartArray, inRepeat));
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

    /// <summary>
    /// An object (its keys → the line each was first given on) or an array (its next index);
    /// <paramref name="repeated"/> when it is, or is inside, a key already reported as given twice.
    /// </summary>
    private sealed class Container(string path, bool isArray, bool repeated)
    {
        private int _index;

        public Dictionary<string, int>? Keys { get; } = isArray ? null : new(StringComparer.OrdinalIgnoreCase);

        public bool IsArray => isArray;

        public bool Repeated => repeated;

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
