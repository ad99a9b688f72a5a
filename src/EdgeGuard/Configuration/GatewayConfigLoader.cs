using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace EdgeGuard.Configuration;

/// <summary>A configuration built from the gateway's sources, plus any problem met while loading them.</summary>
/// <param name="Configuration">The layered configuration (whatever could be loaded).</param>
/// <param name="Errors">Missing or unreadable file, malformed override; empty when all loaded.</param>
public sealed record LoadedConfiguration(IConfiguration Configuration, IReadOnlyList<ConfigError> Errors);

/// <summary>Builds the gateway's configuration from its file, the environment and command-line overrides.</summary>
public static class GatewayConfigLoader
{
    /// <summary>The configuration file used when no path is given.</summary>
    public const string DefaultFileName = "appsettings.json";

    /// <summary><see cref="DefaultFileName"/> next to the executable.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, DefaultFileName);

    /// <summary>
    /// Layers, later winning: the JSON file at <paramref name="configPath"/> (default
    /// <see cref="DefaultPath"/>); environment variables (<c>EdgeGuard__points__0__line=18</c>); then
    /// <paramref name="overrides"/>, each <c>key=value</c> with the key in either the
    /// <c>EdgeGuard:points:0:line</c> or the <c>EdgeGuard__points__0__line</c> form. A missing or
    /// malformed file is reported as a <see cref="ConfigError"/> whose path is the file, not thrown.
    /// </summary>
    public static LoadedConfiguration Build(string? configPath, string[]? overrides = null)
    {
        var errors = new List<ConfigError>();
        var file = Path.GetFullPath(string.IsNullOrWhiteSpace(configPath) ? DefaultPath : configPath);
        var builder = new ConfigurationBuilder();
        if (File.Exists(file) && CannotOpen(file) is { } unreadable)
        {
            errors.Add(new ConfigError(file, $"cannot read the configuration file: {unreadable}"));
        }
        else if (File.Exists(file))
        {
            var source = new JsonConfigurationSource { Path = file, Optional = false, ReloadOnChange = false };
            source.ResolveFileProvider();
            source.OnLoadException = context =>
            {
                errors.Add(new ConfigError(file, $"cannot read the configuration file: {Describe(context.Exception)}"));
                context.Ignore = true;
            };
            builder.Add(source);
        }
        else
        {
            errors.Add(new ConfigError(file, "configuration file not found"));
        }

        builder.AddEnvironmentVariables();

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (overrides?.Length ?? 0); i++)
        {
            var text = overrides![i];
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? text[..equals].Trim().Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal) : "";
            if (key.Length == 0)
            {
                errors.Add(new ConfigError($"overrides:{i}", $"override '{text}' must be key=value, e.g. EdgeGuard:points:0:line=18"));
                continue;
            }

            values[key] = text[(equals + 1)..];
        }

        builder.AddInMemoryCollection(values);
        return new LoadedConfiguration(builder.Build(), errors);
    }

    /// <summary>
    /// <see cref="Build"/> then <see cref="GatewayConfigReader.Read"/>. When the sources themselves
    /// fail to load only those problems are returned (reading a half-loaded configuration would bury
    /// them under "required" errors).
    /// </summary>
    public static ConfigResult Load(string? configPath, string[]? overrides = null, bool simulate = false)
    {
        var loaded = Build(configPath, overrides);
        return loaded.Errors.Count > 0
            ? new ConfigResult(null, loaded.Errors)
            : GatewayConfigReader.Read(loaded.Configuration, simulate);
    }

    // Why a file cannot be opened for reading, or null. The framework opens the config file outside
    // its OnLoadException callback (dotnet/runtime#113964, fixed only in .NET 11), so a file the
    // service's user may not read threw out of Build: a stack trace and exit 1, which systemd
    // restarts, instead of the problem list and exit 2.
    internal static string? CannotOpen(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    private static string Describe(Exception exception)
    {
        // FileConfigurationProvider wraps the parser's exception ("Failed to load configuration from
        // file ...") around the useful part: the JSON error with its line and byte position.
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message, StringComparer.Ordinal))
            {
                messages.Add(e.Message);
            }
        }

        return string.Join(" ", messages.Skip(messages.Count > 1 ? 1 : 0));
    }
}
