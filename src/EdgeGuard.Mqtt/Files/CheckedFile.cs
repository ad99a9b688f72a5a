using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace EdgeGuard.Mqtt.Files;

/// <summary>
/// A secret file (an operator's public key, the gateway's TLS key, certificate and CA) opened the
/// one safe way, checked on the file actually opened. A pipe put at the path (a secrets agent's
/// FIFO, <c>/dev/stdin</c>, a wrong path) would block a plain open until a writer comes, forever at
/// boot or on the thread that reads it; a device such as <c>/dev/zero</c> would fill the memory. A
/// check of the path before the open leaves a window in which a pipe swapped in still blocks; so
/// the file is opened first without blocking, the open handle is checked (fstat), and at most a
/// bounded number of bytes is read. The one rule for every file an operator names by path:
/// operator key files (<c>OperatorKeyFile</c>), the TLS files (<see cref="Publishing.TlsFile"/>),
/// and through <see cref="BoundedFile"/> the configuration file, a signing key, a scenario file.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class CheckedFile : IDisposable
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    private readonly SafeFileHandle _handle;

    private CheckedFile(string path, SafeFileHandle handle, LinuxFile.Status status)
    {
        Path = path;
        _handle = handle;
        Status = status;
    }

    /// <summary>The configured path.</summary>
    public string Path { get; }

    /// <summary>What the open file is: always <see cref="LinuxFile.FileKind.Regular"/>.</summary>
    public LinuxFile.Status Status { get; }

    /// <summary>
    /// Opens <paramref name="path"/> without blocking and checks it is a regular file. Null and the
    /// file, or a sentence saying what is wrong (missing, unreadable, a directory, a pipe, socket or
    /// device) and no file. <paramref name="kind"/> names what the file should be ("key file").
    /// </summary>
    public static string? Open(string path, string kind, out CheckedFile? file) => Open(path, kind, out file, out _);

    /// <summary>
    /// What <paramref name="path"/> is when it is there but not a regular file (a directory, a
    /// pipe, socket or device), looked at through the same open without blocking; null when it is
    /// a regular file or cannot be opened (the caller's own open then says why). For a file another
    /// library opens by path (SQLite): it cannot take this open handle, so a pipe swapped in after
    /// the look still blocks it, but only someone who may write the directory could swap one in.
    /// </summary>
    public static string? KindProblem(string path, string kind)
    {
        try
        {
            var problem = Open(path, kind, out var file, out var wrongKind);
            file?.Dispose();
            return wrongKind ? problem : null;
        }
        catch (TypeLoadException)
        {
            // statx needs glibc 2.28: without it the caller's open goes ahead unchecked, as before.
            return null;
        }
    }

    private static string? Open(string path, string kind, out CheckedFile? file, out bool wrongKind)
    {
        file = null;
        wrongKind = false;
        var handle = LinuxFile.OpenNonBlocking(path, out var errno);
        if (handle is null)
        {
            // A Unix socket cannot be opened at all (ENXIO); a look at the path names what is there.
            wrongKind = errno == LinuxFile.NoDevice;
            return errno switch
            {
                LinuxFile.NoSuchFile or LinuxFile.NotADirectory => $"file '{path}' does not exist",
                LinuxFile.PermissionDenied => $"file '{path}' cannot be read (permission denied)",
                LinuxFile.NoDevice => NotRegular(path, kind, LinuxFile.Stat(path, out _)?.Kind),
                _ => $"file '{path}' cannot be read: {LinuxFile.Describe(errno)}",
            };
        }

        var status = LinuxFile.Stat(handle, out errno);
        wrongKind = status is { Kind: not LinuxFile.FileKind.Regular };
        var problem = status is null ? $"file '{path}' cannot be read: {LinuxFile.Describe(errno)}"
            : status.Value.Kind == LinuxFile.FileKind.Directory ? $"'{path}' is a directory, not a {kind}"
            : status.Value.Kind != LinuxFile.FileKind.Regular ? NotRegular(path, kind, status.Value.Kind)
            : null;
        if (problem is not null)
        {
            handle.Dispose();
            return problem;
        }

        file = new CheckedFile(path, handle, status!.Value);
        return null;
    }

    /// <summary>
    /// The file's bytes, at most <paramref name="maxBytes"/>: a file that grew past the limit since
    /// it was checked is refused (<see cref="IOException"/>), never read to its end.
    /// </summary>
    public byte[] ReadBounded(int maxBytes)
    {
        var buffer = new byte[maxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(_handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            Array.Clear(buffer);
            throw new IOException($"it holds more than {maxBytes / 1024} KiB");
        }

        var bytes = buffer[..length];
        Array.Clear(buffer);
        return bytes;
    }

    /// <summary>
    /// Where the open file really is (through <c>/proc/self/fd</c>): the directory a link led to.
    /// Null when /proc does not say.
    /// </summary>
    public string? RealPath() => LinuxFile.RealPath(_handle);

    /// <summary>Whether group or others may write the file: whoever can could put in their own.</summary>
    public bool WritableByGroupOrOthers => (Status.Mode & GroupOrOtherWrite) != 0;

    /// <summary>
    /// Whether the file's group may read it although the service is not in that group (neither its
    /// effective group nor one of its others): every member of that group could read it.
    /// </summary>
    public bool ReadableByForeignGroup => (Status.Mode & UnixFileMode.GroupRead) != 0 && !LinuxFile.InOwnGroups(Status.Group);

    /// <summary>
    /// The rule for a file whose content decides what the gateway trusts (a TLS file, the
    /// configuration file): neither it nor the folder holding it writable by group or others.
    /// The owner is not checked (a dry run validates the technician's own copies). Null when it
    /// passes; otherwise a sentence naming the file, what its writer <paramref name="could"/> do,
    /// and the fix. <paramref name="kind"/> names the file ("TLS file").
    /// </summary>
    public string? WriteProblem(string kind, string could) =>
        WritableByGroupOrOthers
            ? $"file '{Path}' is writable by group or others (mode {Octal(Status.Mode)}): whoever can write it could {could}; 'chmod go-w' it"
            : DirectoryProblem(kind, ownerChecked: false);

    /// <summary>
    /// What is wrong with the directory holding the file: whoever may write it can replace the file
    /// (rename another over it), whatever the file's own mode. Checked are the directory the
    /// configured path names (where a link sits: writing there re-points the link) and, when a link
    /// led elsewhere, the one holding the file reached. It must not be writable by group or others
    /// (a sticky /tmp included: a file that is not there yet could be created by anyone) and must
    /// belong to root or the service's user (unless <paramref name="ownerChecked"/> is false).
    /// <paramref name="kind"/> names the file ("key file").
    /// </summary>
    public string? DirectoryProblem(string kind, bool ownerChecked = true)
    {
        // A link whose target /proc cannot tell leaves the target's directory unchecked.
        var realPath = RealPath();
        if (realPath is null && File.ResolveLinkTarget(Path, returnFinalTarget: false) is not null)
        {
            return $"file '{Path}' is a link, and where it leads cannot be found (is /proc mounted?), so its directory cannot be checked";
        }

        var directories = new List<string> { System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? "/" };
        if (realPath is not null && System.IO.Path.GetDirectoryName(realPath) is { } real && real != directories[0])
        {
            directories.Add(real);
        }

        foreach (var directory in directories)
        {
            if (LinuxFile.Stat(directory, out var errno) is not { } status)
            {
                return $"file '{Path}' is in directory '{directory}', which cannot be checked: {LinuxFile.Describe(errno)}";
            }

            if ((status.Mode & GroupOrOtherWrite) != 0)
            {
                return $"file '{Path}' is in directory '{directory}', which is writable by group or others (mode {Octal(status.Mode)}): whoever can write there could replace the {kind}; 'chmod go-w' the directory (0755)";
            }

            if (ownerChecked && !Trusted(status.Owner))
            {
                return $"file '{Path}' is in directory '{directory}', owned by uid {status.Owner}, neither root nor the service's user: that user could replace the {kind}; 'chown root' the directory";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="owner"/> is root or the service's own user.</summary>
    public static bool Trusted(uint owner) => owner == 0 || owner == LinuxFile.EffectiveUser;

    /// <summary>A file mode as chmod writes it (0644).</summary>
    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();

    // "is not a regular file" first (what the technician searches for), then what it is instead:
    // a FIFO says "a secrets agent's pipe or a wrong path", a character device "/dev/zero or a tty".
    private static string NotRegular(string path, string kind, LinuxFile.FileKind? found) =>
        $"file '{path}' is not a regular file but {found switch
        {
            LinuxFile.FileKind.Pipe => "a named pipe (FIFO)",
            LinuxFile.FileKind.Socket => "a socket",
            LinuxFile.FileKind.CharacterDevice => "a character device",
            LinuxFile.FileKind.BlockDevice => "a block device",
            _ => "a pipe, socket or device",
        }}; a {kind} is a regular file";
}
