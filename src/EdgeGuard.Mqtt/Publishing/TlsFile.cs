namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Why a configured TLS file cannot be used before it is read. <see cref="File.Exists"/> says false
/// for a file in a directory the service cannot enter (stat fails with EACCES) just as for a file
/// that is not there, and "does not exist" then sends a technician looking for a file that is in
/// its place; the answer here tells the two apart.
/// </summary>
public static class TlsFile
{
    /// <summary>What a missing file is called.</summary>
    public const string Missing = "does not exist";

    /// <summary>What a file behind a directory the service cannot enter is called.</summary>
    public const string PermissionDenied = "cannot be read (permission denied)";

    /// <summary>
    /// Null when a file is at <paramref name="path"/>; otherwise the end of a sentence naming the
    /// file: <see cref="Missing"/>, <see cref="PermissionDenied"/> or "is a directory, not a file".
    /// Nothing is opened: a file that is there is left to the load, which says what is wrong with it.
    /// </summary>
    public static string? Absence(string path) => Absence(path, File.Exists, Directory.Exists, Look);

    /// <summary>
    /// <see cref="Absence(string)"/> with the file system's answers given: tests run as root, who
    /// enters every directory, so the refused look is injected there.
    /// </summary>
    /// <param name="path">The configured path.</param>
    /// <param name="fileExists">Whether a file is there (false also when it cannot be looked at).</param>
    /// <param name="directoryExists">Whether a directory is there.</param>
    /// <param name="look">Looks at the path (stat) and throws as the runtime does when it cannot.</param>
    internal static string? Absence(string path, Func<string, bool> fileExists, Func<string, bool> directoryExists, Action<string> look)
    {
        if (fileExists(path))
        {
            return null;
        }

        if (directoryExists(path))
        {
            return "is a directory, not a file";
        }

        try
        {
            look(path);
            // There after all (put back just now): the load will say if anything is wrong.
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            // EACCES (or EPERM) on the way: a directory the service's user cannot enter.
            return PermissionDenied;
        }
        catch (IOException)
        {
            // FileNotFoundException, DirectoryNotFoundException: nothing there.
            return Missing;
        }
    }

    // stat(2) of the path, which fails with the reason (File.Exists swallows it). Windows has no
    // Unix mode; there a file's attributes are looked at, which fail the same way.
    private static void Look(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            _ = File.GetAttributes(path);
        }
        else
        {
            _ = File.GetUnixFileMode(path);
        }
    }
}
