using System.Globalization;

namespace EdgeGuard.Mqtt.Files;

/// <summary>
/// Reads a file an operator names by path (the configuration file, a TLS file, a signing key, a
/// scenario file) the one safe way: on Linux through <see cref="CheckedFile"/>, opened without
/// blocking and checked on the open handle to be a regular file of at most a given size before a
/// byte is read. A pipe there is refused at once instead of waited on for ever, a device such as
/// <c>/dev/zero</c> or a disk image given by mistake is refused instead of filling the memory.
/// </summary>
internal static class BoundedFile
{
    /// <summary>
    /// The bytes of the file at <paramref name="path"/>, at most <paramref name="maxBytes"/>; before
    /// they are read, <paramref name="check"/> (Linux only) of the opened file (its mode, its
    /// directory). Null and the bytes, or a sentence about <c>file '{path}'</c> and none.
    /// <paramref name="kind"/> names what the file should be ("configuration file").
    /// </summary>
    public static string? TryRead(string path, string kind, int maxBytes, out byte[] bytes, Func<CheckedFile, string?>? check = null)
    {
        bytes = [];
        try
        {
            return OperatingSystem.IsLinux()
                ? ReadChecked(path, kind, maxBytes, out bytes, check)
                : ReadPlain(path, kind, maxBytes, out bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The runtime's reason (EIO, a file grown past the limit) names nothing read from it.
            return $"file '{path}' cannot be read: {ex.Message}";
        }
        catch (TypeLoadException ex)
        {
            // statx needs glibc 2.28 (Debian 10), as for operator key files.
            return $"file '{path}' cannot be checked: this system's C library lacks a call the checks need (glibc 2.28 or later): {ex.Message}";
        }
    }

    /// <summary>
    /// What a file too large to read is called: "file '…' is 2.1 GiB (2,252,341,248 bytes), larger
    /// than the 1 MiB a configuration file may be".
    /// </summary>
    public static string TooLarge(string path, long size, int maxBytes, string kind) =>
        string.Create(CultureInfo.InvariantCulture,
            $"file '{path}' is {Size(size)} ({size:N0} bytes), larger than the {Size(maxBytes)} a {kind} may be");

    /// <summary>A size as a person reads it: 512 bytes, 16 KiB, 1.5 MiB, 2.1 GiB.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#} GiB"),
    };

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string? ReadChecked(string path, string kind, int maxBytes, out byte[] bytes, Func<CheckedFile, string?>? check)
    {
        bytes = [];
        if (CheckedFile.Open(path, kind, out var opened) is { } problem)
        {
            return problem;
        }

        using var file = opened!;
        if (file.Status.Size > maxBytes)
        {
            return TooLarge(path, file.Status.Size, maxBytes, kind);
        }

        if (check?.Invoke(file) is { } refused)
        {
            return refused;
        }

        bytes = file.ReadBounded(maxBytes);
        return null;
    }

    // Elsewhere (a technician's workstation running 'command sign' or 'sim scenario') the checked
    // open's Linux calls are missing: the size is looked at first and the read is bounded, but a
    // pipe there still blocks the open, as it did before.
    private static string? ReadPlain(string path, string kind, int maxBytes, out byte[] bytes)
    {
        bytes = [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            return TooLarge(path, stream.Length, maxBytes, kind);
        }

        var buffer = new byte[maxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            return $"file '{path}' holds more than {Size(maxBytes)}; a {kind} is at most that";
        }

        bytes = buffer[..length];
        return null;
    }
}
