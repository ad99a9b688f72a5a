using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeGuard.Configuration;

// The Logging section, which the host's logging reads (GatewayHost.ConfigureLogging). The framework
// parses its values only when the host is built: a level it cannot parse ("Info", "Warn") passed
// validate and then stopped run with "Configuration value 'Info' is not supported." and no path,
// exit 1, which systemd restarts until its start limit reboots the gateway. Each value the framework
// parses is checked here as it parses it, so validate and run refuse the same file, every bad value
// at its path, with the other problems, exit 2.
public static partial class GatewayConfigReader
{
    /// <summary>The host's logging section, checked with <see cref="SectionName"/>.</summary>
    public const string LoggingSectionName = "Logging";

    private static readonly string[] LogLevelNames = Enum.GetNames<LogLevel>();

    // Logging:Console keys the console provider parses (ConsoleLoggerOptions), and under it
    // FormatterOptions (the simple, systemd and JSON formatters' common options): a value that is
    // there but does not parse, blank included, throws when the host is built.
    private static readonly TypedValue[] ConsoleValues =
    [
        new("LogToStandardErrorThreshold", IsLogLevel, LogLevelNames),
        new("MaxQueueLength", v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0, [], "a whole number from 1"),
        // The options' setters refuse a number that names no mode (ArgumentOutOfRangeException).
        TypedValue.Enum<ConsoleLoggerQueueFullMode>("QueueFullMode", Enum.IsDefined),
#pragma warning disable CS0618 // Obsolete, but the console provider still parses and range-checks it.
        TypedValue.Enum<ConsoleLoggerFormat>("Format", Enum.IsDefined),
#pragma warning restore CS0618
        TypedValue.Boolean("DisableColors"),
        TypedValue.Boolean("IncludeScopes"),
        TypedValue.Boolean("UseUtcTimestamp"),
    ];

    private static readonly TypedValue[] FormatterValues =
    [
        // Taken whatever its number: nothing checks its range.
        TypedValue.Enum<LoggerColorBehavior>("ColorBehavior"),
        TypedValue.Boolean("SingleLine"),
        TypedValue.Boolean("IncludeScopes"),
        TypedValue.Boolean("UseUtcTimestamp"),
        // Parsed only as each line is formatted: before the host's loggers were guarded, a bad one
        // stopped run at its first line; guarded, it would drop every line (GuardedLogging).
        new("TimestampFormat", IsTimestampFormat, [], "a date and time format (\"HH:mm:ss.fff \")"),
    ];

    private static bool IsTimestampFormat(string value)
    {
        try
        {
            _ = DateTimeOffset.UnixEpoch.ToString(value, CultureInfo.InvariantCulture);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // Exactly as the framework takes a level (Enum.TryParse, any case): names, "Warning, Error"
    // (or-ed) and numbers, those naming no level too ("7" above None logs nothing, "-1" below Trace
    // everything). Refusing what run takes would stop validate on a file the gateway runs.
    private static bool IsLogLevel(string value) => Enum.TryParse<LogLevel>(value, ignoreCase: true, out _);

    /// <summary>A typed option: which values parse, and the names to suggest and list (an enum's) or what else is expected.</summary>
    private readonly record struct TypedValue(string Key, Func<string, bool> Valid, string[] Names, string? Expected = null)
    {
        public string Expecting => Expected ?? $"one of: {string.Join(", ", Names)}";

        public static TypedValue Boolean(string key) => new(key, v => bool.TryParse(v, out _), [], "true or false");

        /// <summary>
        /// An enum option, taken as the console provider parses it (Enum.Parse, any case, numbers
        /// too), then as its setter checks it (<paramref name="inRange"/>, when it has one).
        /// </summary>
        public static TypedValue Enum<T>(string key, Func<T, bool>? inRange = null)
            where T : struct, System.Enum =>
            new(key, v => System.Enum.TryParse<T>(v, ignoreCase: true, out var parsed) && (inRange?.Invoke(parsed) ?? true), System.Enum.GetNames<T>());
    }

    private sealed partial class Run
    {
        /// <summary>
        /// Every level under <c>Logging:LogLevel</c> and <c>Logging:{provider}:LogLevel</c> (nested
        /// categories too: the framework reads every value below), and the console provider's typed
        /// options. Keys stay open: provider and category names are anyone's.
        /// </summary>
        public void Logging(IConfigurationSection section)
        {
            var root = new ConfigNode(section, LoggingSectionName, LoggingSectionName);
            if (root.Shape == NodeShape.Value && !string.IsNullOrWhiteSpace(section.Value))
            {
                _w.Error(root, null, $"{LoggingSectionName} must be an object (LogLevel, Console), not the value '{section.Value}'");
                return;
            }

            foreach (var child in section.GetChildren())
            {
                var node = new ConfigNode(child, $"{root.Path}:{child.Key}", child.Key);
                if (child.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase))
                {
                    LogLevels(node);
                    continue;
                }

                LogLevels(new ConfigNode(child.GetSection("LogLevel"), $"{node.Path}:LogLevel", "LogLevel"));
                if (child.Key.Equals("Console", StringComparison.OrdinalIgnoreCase))
                {
                    Values(node, ConsoleValues);
                    Values(new ConfigNode(child.GetSection("FormatterOptions"), $"{node.Path}:FormatterOptions", "FormatterOptions"), FormatterValues);
                }
            }
        }

        private void LogLevels(ConfigNode node)
        {
            if (node.Shape == NodeShape.Value && !string.IsNullOrWhiteSpace(node.Section.Value))
            {
                // Ignored by the framework, so not what was meant either.
                _w.Error(node, null, $"LogLevel must be an object of category: level (\"Default\": \"Information\"), not the value '{node.Section.Value}'");
                return;
            }

            // An empty value is skipped by the framework; a blank one is not.
            foreach (var (key, value) in node.Section.AsEnumerable(makePathsRelative: true))
            {
                if (!string.IsNullOrEmpty(value) && !IsLogLevel(value))
                {
                    _w.Error($"{node.Path}:{key}", null,
                        $"'{value}' is not a log level{ConfigWalker.SuggestionHint(value.Trim(), LogLevelNames)}; expected one of: {string.Join(", ", LogLevelNames)}");
                }
            }
        }

        private void Values(ConfigNode node, TypedValue[] table)
        {
            foreach (var child in node.Section.GetChildren())
            {
                var known = table.FirstOrDefault(t => t.Key.Equals(child.Key, StringComparison.OrdinalIgnoreCase));
                if (known.Key is not null && child.Value is { } value && !known.Valid(value))
                {
                    _w.Error($"{node.Path}:{known.Key}", null,
                        $"{known.Key} '{value}' is not valid{ConfigWalker.SuggestionHint(value.Trim(), known.Names)}; expected {known.Expecting}");
                }
            }
        }
    }
}
