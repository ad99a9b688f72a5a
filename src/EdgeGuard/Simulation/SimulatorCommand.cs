namespace EdgeGuard.Simulation;

/// <summary>
/// One line of the simulator's control protocol: <c>press|release|open|close|activate|deactivate
/// POINT</c> set a point's line as a person would, <c>pulse POINT N</c> toggles it active and back
/// N times as fast as possible (load and burst tests), <c>status</c> returns the controller's JSON view.
/// </summary>
public sealed record SimulatorCommand(string Verb, string? PointId, bool Active, int Count = 1)
{
    /// <summary>For <c>loop POINT normal|alarm|open|short</c>: the condition a supervised loop is put in.</summary>
    public string? Loop { get; init; }

    /// <summary>Largest <c>pulse</c> count accepted in one command.</summary>
    public const int MaxPulses = 1_000_000;

    /// <summary>Verbs that set a point, and the logical state each gives it.</summary>
    public static IReadOnlyDictionary<string, bool> PointVerbs { get; } = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase)
    {
        ["press"] = true,
        ["release"] = false,
        ["open"] = true,
        ["close"] = false,
        ["activate"] = true,
        ["deactivate"] = false,
    };

    /// <summary>Parses a protocol line; the error names what is wrong.</summary>
    public static bool TryParse(string? line, out SimulatorCommand? command, out string? error)
    {
        command = null;
        var parts = (line ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts is ["status"])
        {
            command = new SimulatorCommand("status", null, false);
            error = null;
            return true;
        }

        if (parts is ["pulse", var point, var countText])
        {
            if (int.TryParse(countText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count is > 0 and <= MaxPulses)
            {
                command = new SimulatorCommand("pulse", point, true, count);
                error = null;
                return true;
            }

            error = $"bad pulse count '{countText}': expected 1..{MaxPulses}";
            return false;
        }

        if (parts is ["loop", var loopPoint, var condition])
        {
            if (SimulatedBoard.LoopConditions.ContainsKey(condition))
            {
                command = new SimulatorCommand("loop", loopPoint, false) { Loop = condition.ToLowerInvariant() };
                error = null;
                return true;
            }

            error = $"bad loop condition '{condition}': expected {string.Join("|", SimulatedBoard.LoopConditions.Keys)}";
            return false;
        }

        if (parts.Length == 2 && PointVerbs.TryGetValue(parts[0], out var active))
        {
            command = new SimulatorCommand(parts[0].ToLowerInvariant(), parts[1], active);
            error = null;
            return true;
        }

        error = parts.Length == 0
            ? "empty command"
            : $"unknown command '{line}': expected status, pulse POINT N, loop POINT normal|alarm|open|short, or one of {string.Join("|", PointVerbs.Keys)} followed by a point id";
        return false;
    }
}
