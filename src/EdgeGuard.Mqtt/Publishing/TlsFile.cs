using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Files;

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
    /// The largest TLS file read: a CA bundle of a few dozen certificates is well under it, and it
    /// bounds what a wrong path (a device such as <c>/dev/zero</c>) can cost.
    /// </summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// How long before the client certificate's end the gateway gives notice (a <c>validate</c>
    /// warning; while running, <c>fault.certificate</c>): time for the office to issue and
    /// provision a new one. One figure for both: <see cref="Core.Lockdown.CertificateExpiryWatch.Notice"/>.
    /// </summary>
    public static readonly TimeSpan ExpiryNotice = Core.Lockdown.CertificateExpiryWatch.Notice;

    /// <summary>
    /// The certificate of a pinned CA bundle whose window is judged, by <c>validate</c> and by the
    /// running gateway alike: the soonest-ending one, since the bundle is as good as its weakest
    /// anchor while the broker may chain to it. Null for an empty bundle.
    /// </summary>
    public static X509Certificate2? JudgedAnchor(X509Certificate2Collection anchors) =>
        anchors.MinBy(c => c.NotAfter.ToUniversalTime());

    /// <summary>What problems call a TLS file that is the wrong kind of file ("a TLS file is a regular file").</summary>
    internal const string Kind = "TLS file";

    /// <summary>
    /// The bytes of the TLS file at <paramref name="path"/>, read the way every file named by path
    /// is (<see cref="BoundedFile"/>, <see cref="CheckedFile"/>): opened without blocking and checked to be a regular file of at
    /// most <see cref="MaxBytes"/> before a byte is read. A named pipe there (a secrets agent's, a
    /// wrong path) would otherwise block the read until a writer came: at start, while the host
    /// builds its services (<see cref="ClientIds"/>), or in the publisher's loop at each connect.
    /// </summary>
    /// <param name="path">The configured path.</param>
    /// <param name="named">How problems name the file and its setting (<see cref="MqttTlsOptions.ClientKeyNamed"/>).</param>
    /// <param name="check">As for <see cref="TryRead"/>: what is wrong with the opened file, if anything.</param>
    /// <exception cref="TlsFileException">It cannot be read, is not a regular file, or fails <paramref name="check"/>; the message names it.</exception>
    internal static byte[] ReadAll(string path, string named, Func<CheckedFile, string?>? check = null)
    {
        if (TryRead(path, out var bytes, check) is not { } problem)
        {
            return bytes;
        }

        // "file '/etc/edgeguard/tls/gw.key' is not a regular file..." with the setting named.
        var prefix = $"file '{path}'";
        throw new TlsFileException(problem.StartsWith(prefix, StringComparison.Ordinal)
            ? named + problem[prefix.Length..]
            : problem.Replace($"'{path}'", named, StringComparison.Ordinal));
    }

    /// <summary>
    /// <see cref="ReadAll"/>'s read, and <paramref name="check"/> of the opened file (its mode, its
    /// directory: validate's rules) before a byte is read. Null and the bytes, or a sentence about
    /// <c>file '{path}'</c> and none.
    /// </summary>
    internal static string? TryRead(string path, out byte[] bytes, Func<CheckedFile, string?>? check = null) =>
        BoundedFile.TryRead(path, Kind, MaxBytes, out bytes, check);

    /// <summary>
    /// What is wrong with the opened TLS <paramref name="file"/>'s mode, <c>validate</c>'s rule (as
    /// operator key files are held to it): a private key (<paramref name="privateKey"/>) others may
    /// read, since whoever reads it holds the gateway's broker identity and can derive its client
    /// ids (<see cref="ClientIds"/>); any TLS file, or the folder holding it, that group or others may
    /// write, since whoever writes the CA file pins their own broker and whoever writes the folder
    /// can rename another file over any of them. A private key its group may read passes only when
    /// that group is one the service is in (its effective group or another of its groups):
    /// provisioning installs it 0640 root:edgeguard, and validate runs as the service's user; a key
    /// of group <c>users</c> would be read by every login. The owner is not checked (provisioning
    /// installs them root's, but a dry run validates the technician's own copies). Null when it passes.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static string? ModeProblem(CheckedFile file, bool privateKey)
    {
        var mode = file.Status.Mode;
        if (privateKey && (mode & UnixFileMode.OtherRead) != 0)
        {
            return $"file '{file.Path}' is readable by others (mode {CheckedFile.Octal(mode)}): anyone on the gateway could take its broker identity; 'chmod o-r' it (provisioning installs it 0640 root:edgeguard)";
        }

        if (privateKey && file.ReadableByForeignGroup)
        {
            return $"file '{file.Path}' is readable by group {file.Status.Group} (mode {CheckedFile.Octal(mode)}), a group this service is not in: its members could take the gateway's broker identity; 'chmod g-r' it, or 'chgrp' it to the service's group (provisioning installs it 0640 root:edgeguard)";
        }

        return file.WriteProblem(Kind, "put in their own CA, certificate or key");
    }

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
