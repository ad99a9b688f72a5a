using System.Text.Json;
using EdgeGuard.Mqtt.Files;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Configuration;

/// <summary>A configuration built from the gateway's sources, plus any problem met while loading them.</summary>
/// <param name="Configuration">The layered configuration (whatever could be loaded).</param>
/// <param name="Errors">Missing or unreadable file, malformed override; empty when all loaded.</param>
public sealed record LoadedConfiguration(IConfiguration Configuration, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>
    /// The configuration file's folder, which relative paths in the configuration are taken from
    /// (<see cref="GatewayConfigReader.Read"/>); null for a configuration not built from a file.
    /// </summary>
    public string? Directory { get; init; }

    /// <summary>
    /// What is wrong with the file's shape although it loaded (<see cref="ConfigFileShape"/>: a
    /// section at the file's root, a key repeated in one object): reported with the reader's problems.
    /// </summary>
    public IReadOnlyList<ConfigError> FileProblems { get; init; } = [];

    /// <summary>
    /// What is wrong with the file's mode or its folder's (group or others may write either):
    /// whoever can write the file controls the pin map, the broker and the CA the gateway pins. A
    /// file that holds <c>mqtt.password</c> is also held to a private key's rule: not readable by
    /// others, nor by a group the service is not in.
    /// <c>validate</c> reports it as an error, <c>run</c> as a warning (<see cref="GatewayConfigLoader.Read"/>).
    /// Null when it passes, or off Linux.
    /// </summary>
    public ConfigError? ModeProblem { get; init; }
}

/// <summary>Builds the gateway's configuration from its file, the environment and command-line overrides.</summary>
public static class GatewayConfigLoader
{
    /// <summary>The configuration file used when no path is given.</summary>
    public const string DefaultFileName = "appsettings.json";

    /// <summary>
    /// The largest configuration file read: a site of a few hundred points is tens of KiB, so a
    /// file past this is a wrong path (a disk image, a log), refused before a byte is read.
    /// </summary>
    public const int MaxFileBytes = 1024 * 1024;

    // What problems call a file that is the wrong kind ("a configuration file is a regular file").
    private const string FileKind = "configuration file";

    // What whoever may write the file could do: everything the gateway trusts comes from it.
    private const string ModeConsequence = "change the pin map (fire, egress, panic), the broker, its CA and the operators' keys";

    /// <summary><see cref="DefaultFileName"/> next to the executable.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, DefaultFileName);

    /// <summary>
    /// Layers, later winning: the JSON file at <paramref name="configPath"/> (default
    /// <see cref="DefaultPath"/>); environment variables (<c>EdgeGuard__points__0__line=18</c>); then
    /// <paramref name="overrides"/>, each <c>key=value</c> with the key in either the
    /// <c>EdgeGuard:points:0:line</c> or the <c>EdgeGuard__points__0__line</c> form. A missing or
    /// malformed file, or one that is not a regular file of at most <see cref="MaxFileBytes"/> (a
    /// named pipe, a device, a disk image), is reported as a <see cref="ConfigError"/> whose path is
    /// the file, not thrown, and is never waited on or read whole.
    /// </summary>
    public static LoadedConfiguration Build(string? configPath, string[]? overrides = null)
    {
        var errors = new List<ConfigError>();
        var file = Path.GetFullPath(string.IsNullOrWhiteSpace(configPath) ? DefaultPath : configPath);
        var builder = new ConfigurationBuilder();
        if (ReadFile(file, out var json, out var fileProblems, out var modeProblem) is { } problem)
        {
            errors.Add(new ConfigError(file, problem));
        }
        else
        {
            builder.AddConfiguration(json!, shouldDisposeConfiguration: true);
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
        return new LoadedConfiguration(builder.Build(), errors)
        {
            Directory = Path.GetDirectoryName(file),
            FileProblems = fileProblems,
            ModeProblem = modeProblem is null ? null : new ConfigError(file, modeProblem),
        };
    }

    /// <summary>
    /// <see cref="Build"/> then <see cref="GatewayConfigReader.Read"/>. When the sources themselves
    /// fail to load only those problems are returned (reading a half-loaded configuration would bury
    /// them under "required" errors).
    /// </summary>
    public static ConfigResult Load(string? configPath, string[]? overrides = null, bool simulate = false) =>
        Read(Build(configPath, overrides), simulate);

    /// <summary>
    /// Reads what <see cref="Build"/> loaded, as every verb does: the load's own errors alone when
    /// the sources failed to load; otherwise <see cref="GatewayConfigReader.Read"/> with relative
    /// paths taken from the file's folder, after the file's <see cref="LoadedConfiguration.FileProblems"/>.
    /// The file's <see cref="LoadedConfiguration.ModeProblem"/> is an error with <paramref name="loadFiles"/>
    /// (<c>validate</c>) and a warning without (<c>run</c>): as for the TLS files, a mode changed
    /// after provisioning must not keep the gateway from protecting the site.
    /// </summary>
    /// <param name="loaded">What <see cref="Build"/> returned.</param>
    /// <param name="simulate">As for <see cref="GatewayConfigReader.Read"/>.</param>
    /// <param name="loadFiles">As for <see cref="GatewayConfigReader.Read"/>.</param>
    /// <param name="use">As for <see cref="GatewayConfigReader.Read"/>.</param>
    public static ConfigResult Read(LoadedConfiguration loaded, bool simulate = false, bool loadFiles = false, ConfigUse use = ConfigUse.Gateway)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (loaded.Errors.Count > 0)
        {
            return new ConfigResult(null, loaded.Errors);
        }

        var result = GatewayConfigReader.Read(loaded.Configuration, simulate, loadFiles, loaded.Directory, use);
        ConfigError[] problems = loadFiles && loaded.ModeProblem is { } refused ? [refused, .. loaded.FileProblems] : [.. loaded.FileProblems];
        if (problems.Length > 0)
        {
            return new ConfigResult(null, [.. problems, .. result.Errors]);
        }

        return loaded.ModeProblem is { } warning && result.IsValid
            ? result with { Warnings = [warning, .. result.Warnings] }
            : result;
    }

    // The file's settings, or why there are none. Read the way TLS and operator key files are
    // (BoundedFile): opened without blocking and checked on the open handle to be a regular file of
    // at most MaxFileBytes. A plain open of a named pipe (a secrets agent's FIFO, /dev/stdin, a
    // wrong path) waited for ever for a writer, so validate and run never ended; /dev/zero or a disk
    // image was read whole into memory. The bytes are then parsed here rather than by the
    // framework's file source, which would open the path again (a pipe swapped in meanwhile would
    // block it) and opened it outside its OnLoadException callback (dotnet/runtime#113964): a file
    // the service's user may not read threw out of Build, a stack trace and exit 1, which systemd
    // restarts, instead of the problem list and exit 2. The file's mode and folder are judged on
    // the file opened (TLS files' rule), but the file is read whatever they are: the caller decides
    // whether that is an error (validate) or a warning (run).
    private static string? ReadFile(string file, out IConfigurationRoot? json, out IReadOnlyList<ConfigError> shape, out string? mode)
    {
        json = null;
        shape = [];
        string? judged = null;
        mode = null;
        if (TlsFile.Absence(file) == TlsFile.Missing)
        {
            return "configuration file not found";
        }

        string? readers = null;
        if (BoundedFile.TryRead(file, FileKind, MaxFileBytes, out var bytes, opened =>
            {
                if (OperatingSystem.IsLinux())
                {
                    judged = opened.WriteProblem(FileKind, ModeConsequence);
                    readers = SecretReaders(opened);
                }

                return null;
            }) is { } unreadable)
        {
            return $"cannot read the configuration file: {unreadable}";
        }

        try
        {
            json = new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes, writable: false)).Build();
            // Only once the framework took the file: a file it refuses (bad JSON, a value given
            // twice) is reported in its words, as before.
            shape = ConfigFileShape.Problems(bytes, file);
            string?[] problems = [judged, HoldsPassword(json) ? readers : null];
            mode = problems.Any(problem => problem is not null)
                ? string.Join("; ", problems.OfType<string>()) + "; provisioning installs it 0640 root:edgeguard in a 0750 folder"
                : null;
            return null;
        }
        // InvalidOperationException: a key the JSON escapes as half a surrogate pair ("\ud800"),
        // which the framework's parser cannot make a string.
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidDataException or InvalidOperationException)
        {
            return $"cannot read the configuration file: {Describe(ex)}";
        }
    }

    // The broker password is the one secret the file may hold (provisioning's gateways use their
    // TLS key instead): whoever reads it is the gateway at the broker, and can publish its events
    // and availability. So a file that holds it is held to the rule of a private key's file
    // (TlsFile.ModeProblem): not readable by others, nor by a group the service is not in. Null
    // when neither may read it.
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string? SecretReaders(CheckedFile file)
    {
        var mode = file.Status.Mode;
        if ((mode & UnixFileMode.OtherRead) != 0)
        {
            return $"file '{file.Path}' holds mqtt.password and is readable by others (mode {CheckedFile.Octal(mode)}): anyone on the gateway could read the broker password and publish as the gateway; 'chmod o-r' it";
        }

        return file.ReadableByForeignGroup
            ? $"file '{file.Path}' holds mqtt.password and is readable by group {file.Status.Group} (mode {CheckedFile.Octal(mode)}), a group this service is not in: its members could read the broker password and publish as the gateway; 'chmod g-r' it, or 'chgrp' it to the service's group"
            : null;
    }

    // As the reader takes it: a blank password is none.
    private static bool HoldsPassword(IConfiguration json) => !string.IsNullOrWhiteSpace(json[ConfigurationPath.Combine(GatewayConfigReader.SectionName, "mqtt", "password")]);

    private static string Describe(Exception exception)
    {
        // The parser's own words carry the place: "... LineNumber: 3 | BytePositionInLine: 12."
        // A wrapper adds nothing but its own sentence, so each distinct message is given once.
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message, StringComparer.Ordinal))
            {
                messages.Add(e.Message);
            }
        }

        var text = string.Join(" ", messages);
        return exception is JsonException ? $"it is not valid JSON: {text}" : text;
    }
}
