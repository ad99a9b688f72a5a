using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace EdgeGuard.Configuration;

// What a key file must be, checked on the file actually opened. The running gateway reads it again
// on the command handler's one thread: a pipe put at the path would block that read forever (every
// office command stopped), a device such as /dev/zero would fill the memory. A check of the path
// before the open would leave a window in which a pipe swapped in still blocks the open; so the
// file is opened first, without blocking, and the open handle is checked (fstat) before one byte
// is read.
public static partial class OperatorKeyFile
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// Opens <paramref name="path"/> without blocking and reads it if it is a key file: a regular
    /// file of at most <see cref="MaxBytes"/>, which neither group nor others may write, owned by
    /// root or the service's user, in a directory that passes the same test. Links are followed,
    /// as for /etc/ssl: the file reached and both the link's directory and the file's are checked.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static string? ReadChecked(string path, out string text)
    {
        text = string.Empty;
        using var handle = LinuxFile.OpenNonBlocking(path, out var errno);
        if (handle is null)
        {
            return errno switch
            {
                LinuxFile.NoSuchFile or LinuxFile.NotADirectory => $"file '{path}' does not exist",
                LinuxFile.PermissionDenied => $"file '{path}' cannot be read (permission denied)",
                // A Unix socket cannot be opened at all.
                LinuxFile.NoDevice => NotRegular(path),
                _ => $"file '{path}' cannot be read: {LinuxFile.Describe(errno)}",
            };
        }

        if (LinuxFile.Stat(handle, out errno) is not { } file)
        {
            return $"file '{path}' cannot be read: {LinuxFile.Describe(errno)}";
        }

        if (file.Kind == LinuxFile.FileKind.Directory)
        {
            return $"'{path}' is a directory, not a key file";
        }

        if (file.Kind != LinuxFile.FileKind.Regular)
        {
            return NotRegular(path);
        }

        if (file.Size == 0)
        {
            return $"file '{path}' is empty; a key file holds one public key in PEM";
        }

        if (file.Size > MaxBytes)
        {
            return $"file '{path}' is {file.Size} bytes; a public key file is at most {MaxBytes / 1024} KiB";
        }

        // Whoever can write the file can put in their own key and command the site under this
        // operator's name.
        if ((file.Mode & GroupOrOtherWrite) != 0)
        {
            return $"file '{path}' is writable by group or others (mode {Octal(file.Mode)}): whoever can write it could put in their own key; 'chmod go-w' it (0644)";
        }

        if (!Trusted(file.Owner))
        {
            return $"file '{path}' is owned by uid {file.Owner}, neither root nor the service's user: that user could put in their own key; 'chown root' it";
        }

        // A link whose target /proc cannot tell leaves the target's directory unchecked.
        var realPath = LinuxFile.RealPath(handle);
        if (realPath is null && File.ResolveLinkTarget(path, returnFinalTarget: false) is not null)
        {
            return $"file '{path}' is a link, and where it leads cannot be found (is /proc mounted?), so its directory cannot be checked";
        }

        if (DirectoryProblem(path, realPath) is { } directory)
        {
            return directory;
        }

        text = ReadBounded(handle);
        return null;
    }

    /// <summary>
    /// What is wrong with the directory holding the key file: whoever may write it can replace the
    /// file (rename another over it), whatever the file's own mode. Checked are the directory the
    /// configured path names (where a link sits: writing there re-points the link) and, when a link
    /// led elsewhere, the one holding the file reached. As for a key file, it must not be writable
    /// by group or others (a sticky /tmp included: a key that is not there yet could be created by
    /// anyone) and must belong to root or the service's user.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static string? DirectoryProblem(string path, string? realPath)
    {
        var directories = new List<string> { Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/" };
        if (realPath is not null && Path.GetDirectoryName(realPath) is { } real && real != directories[0])
        {
            directories.Add(real);
        }

        foreach (var directory in directories)
        {
            if (LinuxFile.Stat(directory, out var errno) is not { } status)
            {
                return $"file '{path}' is in directory '{directory}', which cannot be checked: {LinuxFile.Describe(errno)}";
            }

            if ((status.Mode & GroupOrOtherWrite) != 0)
            {
                return $"file '{path}' is in directory '{directory}', which is writable by group or others (mode {Octal(status.Mode)}): whoever can write there could replace the key file; 'chmod go-w' the directory (0755)";
            }

            if (!Trusted(status.Owner))
            {
                return $"file '{path}' is in directory '{directory}', owned by uid {status.Owner}, neither root nor the service's user: that user could replace the key file; 'chown root' the directory";
            }
        }

        return null;
    }

    [SupportedOSPlatform("linux")]
    private static bool Trusted(uint owner) => owner == 0 || owner == LinuxFile.EffectiveUser;

    private static string NotRegular(string path) =>
        $"file '{path}' is not a regular file (a pipe, socket or device); a key file is a regular file";

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <summary>
    /// The file's text, at most <see cref="MaxBytes"/> + 1 bytes read: a file that grew past the
    /// limit since it was checked is refused, never read to its end.
    /// </summary>
    private static string ReadBounded(SafeFileHandle handle)
    {
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        if (length > MaxBytes)
        {
            throw new IOException($"it holds more than {MaxBytes / 1024} KiB; a public key file is far smaller");
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
