using System.Globalization;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Simulation;

/// <summary>One step of a scenario file, with the line it came from for error messages.</summary>
public abstract record ScenarioStep(int Line);

/// <summary>A simulator command such as <c>press panic-lobby</c>.</summary>
public sealed record SendStep(int Line, string Command) : ScenarioStep(Line);

/// <summary><c>wait 250ms</c> / <c>wait 2s</c>.</summary>
public sealed record WaitStep(int Line, TimeSpan Duration) : ScenarioStep(Line);

/// <summary>
/// <c>expect-timeout 40s</c>: how long each later <c>expect</c> may take, for a scenario whose gateway
/// needs longer than the command line's default (a settle time, a door's release time).
/// </summary>
public sealed record ExpectTimeoutStep(int Line, TimeSpan Timeout) : ScenarioStep(Line);

/// <summary><c>expect mode lockdown</c>, <c>expect output lock-lobby locked</c>, <c>expect point door-lobby active</c>.</summary>
public sealed record ExpectStep(int Line, string Subject, string? Id, bool? Active, string? Mode) : ScenarioStep(Line);

/// <summary>
/// A scenario file: timed steps a technician or a test plays against a simulated gateway.
/// One step per line; <c>#</c> starts a comment.
/// </summary>
public sealed record Scenario(string Source, IReadOnlyList<ScenarioStep> Steps)
{
    private static readonly Dictionary<string, bool> States = new(StringComparer.OrdinalIgnoreCase)
    {
        ["locked"] = true, ["unlocked"] = false, ["on"] = true, ["off"] = false,
        ["active"] = true, ["inactive"] = false,
    };

    /// <summary>
    /// Every mode <c>sim status</c> can show (the <see cref="SiteMode"/> names, matched ignoring case), not
    /// <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/>, which takes numbers and comma lists too.
    /// </summary>
    private static readonly string[] Modes = Enum.GetNames<SiteMode>();

    /// <summary>The modes as the configuration spells them (<c>shelterInPlace</c>), for error messages.</summary>
    private static readonly string ModeList =
        string.Join(", ", Modes[..^1].Select(CamelCase)) + " or " + CamelCase(Modes[^1]);

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>Parses a scenario; every bad line is reported at once as <c>source:line: problem</c>.</summary>
    public static Scenario Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var steps = new List<ScenarioStep>();
        var errors = new List<string>();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var content = lines[i].Split('#', 2)[0].Trim();
            if (content.Length == 0)
            {
                continue;
            }

            var step = ParseLine(i + 1, content, out var error);
            if (step is null)
            {
                errors.Add($"{source}:{i + 1}: {error}");
            }
            else
            {
                steps.Add(step);
            }
        }

        return errors.Count == 0
            ? new Scenario(source, steps)
            : throw new FormatException(string.Join(Environment.NewLine, errors));
    }

    private static ScenarioStep? ParseLine(int line, string content, out string? error)
    {
        error = null;
        var parts = content.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (parts)
        {
            case ["wait", var duration]:
                if (TryParseDuration(duration, out var wait))
                {
                    return new WaitStep(line, wait);
                }

                error = $"bad duration '{duration}': use e.g. 250ms or 2s";
                return null;
            case ["expect-timeout", var duration]:
                if (TryParseDuration(duration, out var timeout))
                {
                    return new ExpectTimeoutStep(line, timeout);
                }

                error = $"bad duration '{duration}': use e.g. 10s";
                return null;
            case ["expect", "mode", var mode]:
                // Checked here, not against the gateway: a typo would otherwise wait out the whole
                // expect timeout and then report the mode it saw, as if the gateway were wrong.
                if (Modes.Contains(mode, StringComparer.OrdinalIgnoreCase))
                {
                    return new ExpectStep(line, "mode", null, null, mode);
                }

                error = $"unknown mode '{mode}': use {ModeList}";
                return null;
            case ["expect", var subject, var id, var state] when subject is "output" or "point" && States.TryGetValue(state, out var active):
                return new ExpectStep(line, subject, id, active, null);
            case ["expect", ..]:
                error = $"bad expectation '{content}': use 'expect mode MODE' (MODE: {ModeList}), 'expect output ID locked|unlocked|on|off' or 'expect point ID active|inactive'";
                return null;
            default:
                if (SimulatorCommand.TryParse(content, out _, out var commandError))
                {
                    return new SendStep(line, content);
                }

                error = commandError;
                return null;
        }
    }

    /// <summary>
    /// The longest duration <see cref="TryParseDuration"/> accepts: the longest a timer can wait
    /// (<see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> refuses more, about 49.7 days), so a
    /// <c>wait</c> or a <c>--duration</c> that parses never throws later, after the walk test set its outputs.
    /// </summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// Parses <c>250ms</c>, <c>2s</c>, <c>10m</c> or <c>1h</c> (also used by <c>walktest --duration</c>). False for
    /// anything else, a negative, infinite or not-a-number value, and one over <see cref="MaxDuration"/>.
    /// </summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, scale) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : text.EndsWith('h') ? (text[..^1], 3_600_000.0)
            : (text, double.NaN);
        // "NaN", "Infinity" and "1e400" are numbers to double.TryParse; TimeSpan throws on each of them.
        if (double.IsNaN(scale) || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value < 0 || value * scale > MaxDuration.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * scale);
        return true;
    }
}
