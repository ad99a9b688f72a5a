using System.Globalization;
using System.Text;

namespace EdgeGuard.Configuration;

/// <summary>Renders configuration problems for people (the CLI's <c>validate</c> and start-up failures).</summary>
public static class ConfigErrorFormatter
{
    /// <summary>
    /// <c>Configuration has N problems:</c> followed by one <c>  - path: message</c> line per problem,
    /// in the order given; <c>Configuration is valid.</c> when there are none. Lines end with <c>\n</c>
    /// (no trailing newline).
    /// </summary>
    public static string Format(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            return "Configuration is valid.";
        }

        var report = new StringBuilder();
        report.Append(CultureInfo.InvariantCulture, $"Configuration has {errors.Count} {(errors.Count == 1 ? "problem" : "problems")}:");
        foreach (var error in errors)
        {
            report.Append("\n  - ").Append(error.Path).Append(": ").Append(error.Message);
        }

        return report.ToString();
    }
}
