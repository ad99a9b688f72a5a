using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Configuration;

/// <summary>
/// One position in the configuration tree: the section plus the canonical path reported in errors
/// (known keys are spelled as in the schema, so <c>debounceMS</c> is reported as <c>debounceMs</c>;
/// unknown keys are reported as typed).
/// </summary>
internal readonly record struct ConfigNode(IConfigurationSection Section, string Path, string Key)
{
    public ConfigNode Child(string key) => new(Section.GetSection(key), $"{Path}:{key}", key);

    /// <summary>What the node holds, whichever providers contributed to it.</summary>
    public NodeShape Shape =>
        Section.GetChildren().Any() ? NodeShape.Container
        : Section.Value is null ? NodeShape.Missing
        : NodeShape.Value;

    /// <summary>True when the key is present at all (a value, even blank, or nested keys).</summary>
    public bool IsPresent => Shape != NodeShape.Missing;
}

internal enum NodeShape
{
    /// <summary>Not configured (or an empty JSON array/object, which IConfiguration cannot tell apart).</summary>
    Missing,
    /// <summary>A single value, possibly blank.</summary>
    Value,
    /// <summary>An object or a list: the node has nested keys.</summary>
    Container,
}

/// <summary>
/// Hand-written, reflection-free walker over <see cref="IConfigurationSection"/> that records every
/// problem instead of stopping at the first. Each read returns <c>null</c> when the value is missing
/// or wrong (after recording why) and the default when an optional key is absent.
/// </summary>
internal sealed class ConfigWalker
{
    private readonly List<ConfigError> _errors = [];

    private readonly List<ConfigError> _warnings = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>Problems that do not stop <c>run</c>; see <see cref="ConfigResult.Warnings"/>.</summary>
    public IReadOnlyList<ConfigError> Warnings => _warnings;

    public int ErrorCount => _errors.Count;

    public void Error(ConfigNode node, string? subject, string message) => Error(node.Path, subject, message);

    public void Error(string path, string? subject, string message) =>
        _errors.Add(new ConfigError(path, subject is null ? message : $"{subject}: {message}"));

    public void Warning(ConfigNode node, string message) => _warnings.Add(new ConfigError(node.Path, message));

    /// <summary>
    /// Checks that <paramref name="node"/> is an object (or absent) and reports every nested key that
    /// is not in <paramref name="known"/>. Returns false when the node is a value instead of an object,
    /// in which case the caller skips its keys (they would only repeat the problem).
    /// </summary>
    public bool Object(ConfigNode node, string? subject, IReadOnlyList<string> known)
    {
        switch (node.Shape)
        {
            case NodeShape.Missing:
                return true;
            case NodeShape.Value when string.IsNullOrWhiteSpace(node.Section.Value):
                return true; // blank: treated as an empty object, its required keys are reported
            case NodeShape.Value:
                Error(node, subject, $"{node.Key} must be an object with the keys {string.Join(", ", known)}, not the value '{node.Section.Value}'");
                return false;
        }

        CheckMixed(node, subject);
        foreach (var child in node.Section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = SuggestionHint(child.Key, known);
                Error($"{node.Path}:{child.Key}", subject,
                    $"unknown key '{child.Key}'{hint}; known keys here: {string.Join(", ", known)}");
            }
        }

        return true;
    }

    /// <summary>
    /// The items of a list, in index order. Absent or blank means an empty list. Returns null when the
    /// node is a single value; keys that are not list indexes are reported and skipped.
    /// </summary>
    public IReadOnlyList<ConfigNode>? List(ConfigNode node, string? subject)
    {
        switch (node.Shape)
        {
            case NodeShape.Missing:
                return [];
            case NodeShape.Value when string.IsNullOrWhiteSpace(node.Section.Value):
                return [];
            case NodeShape.Value:
                Error(node, subject, $"{node.Key} must be a list (a JSON array), not the single value '{node.Section.Value}'");
                return null;
        }

        CheckMixed(node, subject);
        var items = new List<(int Index, ConfigNode Node)>();
        foreach (var child in node.Section.GetChildren())
        {
            if (child.Key.Length > 0 && child.Key.All(char.IsAsciiDigit)
                && int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                items.Add((index, new ConfigNode(child, $"{node.Path}:{child.Key}", $"{node.Key}[{child.Key}]")));
            }
            else
            {
                Error($"{node.Path}:{child.Key}", subject,
                    $"{node.Key} must be a list (a JSON array), but it has the key '{child.Key}', which is not a list index");
            }
        }

        return items.OrderBy(i => i.Index).Select(i => i.Node).ToList();
    }

    /// <summary>A single value, untrimmed. Blank counts as absent.</summary>
    public string? Scalar(ConfigNode node, string? subject, bool required, string? requiredHint = null)
    {
        switch (node.Shape)
        {
            case NodeShape.Container:
                Error(node, subject, $"{node.Key} must be a single value, not an object or a list");
                return null;
            case NodeShape.Value when !string.IsNullOrWhiteSpace(node.Section.Value):
                return node.Section.Value;
            default:
                if (required)
                {
                    var blank = node.Shape == NodeShape.Value ? " (it is blank)" : "";
                    Error(node, subject, $"{node.Key} is required{blank}{requiredHint}");
                }

                return null;
        }
    }

    /// <summary>
    /// A file or directory path: <see cref="Scalar"/>, refused (null, with an error naming the
    /// character) when it holds a control character. Every path of the config is read here, so
    /// none reaches the file system with one: a NUL makes the runtime's file calls throw
    /// ArgumentException, which no "missing file" check expects (a stack trace and exit 1, which
    /// systemd restarts towards a reboot, instead of this list and exit 2), and a tab or newline
    /// from a hand edit names a file that no one meant.
    /// </summary>
    public string? PathValue(ConfigNode node, string? subject, bool required, string? requiredHint = null)
    {
        var path = Scalar(node, subject, required, requiredHint);
        var at = path?.AsSpan().IndexOfAnyInRange('\0', '\u001f') ?? -1;
        if (at < 0 && path is not null)
        {
            at = path.IndexOf('\u007f', StringComparison.Ordinal);
        }

        if (at < 0)
        {
            return path;
        }

        Error(node, subject,
            $"{node.Key} holds a control character (U+{(int)path![at]:X4} at position {at + 1}); a path must not: retype it");
        return null;
    }

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public int? Int(ConfigNode node, string? subject, bool required, int min, int max, int? fallback = null)
    {
        if (!required && node.Shape != NodeShape.Container && string.IsNullOrWhiteSpace(node.Section.Value))
        {
            return fallback;
        }

        var raw = Scalar(node, subject, required, $" (a whole number {min}..{max})");
        if (raw is null)
        {
            return null;
        }

        if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            var kind = long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? "is out of range" : "is not a whole number";
            Error(node, subject, $"{node.Key} '{raw}' {kind}; expected a whole number {min}..{max}");
            return null;
        }

        if (value < min || value > max)
        {
            Error(node, subject, $"{node.Key} {value.ToString(CultureInfo.InvariantCulture)} is out of range; expected {min}..{max}");
            return null;
        }

        return value;
    }

    /// <summary><c>true</c> or <c>false</c> (any case); anything else, such as <c>yes</c> or <c>1</c>, is an error.</summary>
    public bool? Bool(ConfigNode node, string? subject, bool fallback)
    {
        if (node.Shape == NodeShape.Missing || (node.Shape == NodeShape.Value && string.IsNullOrWhiteSpace(node.Section.Value)))
        {
            return fallback;
        }

        var raw = Scalar(node, subject, required: true);
        if (raw is null)
        {
            return null;
        }

        if (bool.TryParse(raw.Trim(), out var value))
        {
            return value;
        }

        Error(node, subject, $"{node.Key} '{raw}' is not a boolean; expected true or false");
        return null;
    }

    /// <summary>One of the names in <paramref name="names"/>, compared case-insensitively.</summary>
    public T? Enum<T>(ConfigNode node, string? subject, bool required, IReadOnlyList<(string Name, T Value)> names, T? fallback = null)
        where T : struct
    {
        var expected = string.Join(", ", names.Select(n => n.Name));
        var raw = Scalar(node, subject, required, $"; expected one of: {expected}");
        if (raw is null)
        {
            // Null after an error (wrong shape, or required and absent); the fallback when optional and absent.
            return required || node.Shape == NodeShape.Container ? null : fallback;
        }

        foreach (var (name, value) in names)
        {
            if (string.Equals(name, raw.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var hint = SuggestionHint(raw.Trim(), names.Select(n => n.Name).ToList());
        Error(node, subject, $"{node.Key} '{raw}' is not valid{hint}; expected one of: {expected}");
        return null;
    }

    /// <summary>
    /// The closest of <paramref name="candidates"/> to a mistyped <paramref name="typed"/>: same text in
    /// another case, a prefix either way, or at most two edits apart. Null when nothing is close.
    /// </summary>
    public static string? Suggest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var lower = typed.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            var c = candidate.ToLowerInvariant();
            var distance = Distance(lower, c);
            if (distance > 2 && !(lower.Length >= 3 && (c.StartsWith(lower, StringComparison.Ordinal) || lower.StartsWith(c, StringComparison.Ordinal))))
            {
                continue;
            }

            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>
    /// <see cref="DidYouMean"/> with what <see cref="Suggest"/> picks from <paramref name="candidates"/>;
    /// empty when nothing is close.
    /// </summary>
    public static string SuggestionHint(string typed, IEnumerable<string> candidates) => DidYouMean(Suggest(typed, candidates));

    /// <summary>
    /// The fragment every message appends to offer a correction, so they all word it alike; empty
    /// when there is no <paramref name="suggestion"/>.
    /// </summary>
    public static string DidYouMean(string? suggestion) => suggestion is null ? "" : $" (did you mean '{suggestion}'?)";

    private void CheckMixed(ConfigNode node, string? subject)
    {
        if (!string.IsNullOrWhiteSpace(node.Section.Value))
        {
            Error(node, subject,
                $"{node.Key} is set both to the value '{node.Section.Value}' and to nested keys (two configuration sources disagree); remove one");
        }
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
