using System.Globalization;
using EdgeGuard.Configuration;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Cli;

/// <summary>
/// Refuses a tool (<c>journal verify|export|tail</c>, <c>walktest</c>) run as another user than the
/// one who owns the gateway's files. Such a tool may create files beside them: a read-only SQLite
/// open creates the journal's <c>-wal</c> and <c>-shm</c> when a clean stop deleted them, and the
/// walk test creates <c>edgeguard.lock</c> and <c>edgeguard.pid</c> on a gateway that never ran.
/// Created as, say, root, the gateway's user could not write them: the gateway fails at start
/// ("attempt to write a readonly database", "access to edgeguard.lock is denied"), systemd
/// restarts it until its start limit reboots the gateway, and the outputs stay undriven.
/// </summary>
/// <remarks>
/// Only the owner of what already exists decides, never the owner of an existing
/// <c>-wal</c>/<c>-shm</c>: the tool creates files only where none are, and what it creates
/// belongs to its effective user, so the gateway's user running it leaves every file the
/// gateway's, whoever owns a leftover. A journal tool beside an existing <c>-wal</c> and
/// <c>-shm</c> (a running gateway) creates nothing, so anyone may run it then. Leftovers owned by
/// another user (a run as root before releases refused it) are not a refusal but a warning
/// (<see cref="LeftoverWarning(string, string)"/>): the tool would not make them worse, and the
/// warning says how to fix them.
/// SQLite run as root happens to hand a new <c>-wal</c>/<c>-shm</c> to the database's owner, but
/// not the lock files, and not when another non-root user can write the directory.
/// </remarks>
internal static class GatewayFilesUser
{
    /// <summary>
    /// Tests only: the effective uid this flow acts as. A test cannot chown a file to another user
    /// without root, so it makes the process look like another user instead.
    /// </summary>
    internal static readonly AsyncLocal<uint?> EffectiveUserForTests = new();

    /// <summary>
    /// Null when this process's effective user owns every existing path in
    /// <paramref name="paths"/>, else why it must not go on and how to run it instead.
    /// </summary>
    /// <param name="arguments">The arguments as given after the program (<c>journal verify --db …</c>).</param>
    /// <param name="paths">The gateway's files and directories the tool works beside; missing ones are skipped.</param>
    public static string? Refusal(IReadOnlyList<string> arguments, params string[] paths)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null; // the gateway runs on Linux only; there is no service user elsewhere
        }

        var effective = EffectiveUserForTests.Value ?? LinuxFile.EffectiveUser;
        return Refusal([.. Program(), .. arguments], paths, effective, OwnerOf, UserName);
    }

    /// <summary>The decision, given how owners and names are looked up (a test's choice).</summary>
    /// <param name="invocation">The program and its arguments, as run: the hint runs them again.</param>
    /// <param name="paths">The files and directories to check, in order; the first foreign one is named.</param>
    /// <param name="effectiveUser">The uid this process acts as.</param>
    /// <param name="ownerOf">The owner's uid of a path, or null when nothing is there.</param>
    /// <param name="nameOf">A uid's user name, or null when it has none.</param>
    internal static string? Refusal(
        IReadOnlyList<string> invocation, IEnumerable<string> paths, uint effectiveUser, Func<string, uint?> ownerOf,
        Func<uint, string?> nameOf)
    {
        foreach (var path in paths)
        {
            if (ownerOf(path) is not { } owner || owner == effectiveUser)
            {
                continue;
            }

            var ownerName = nameOf(owner);
            // sudo takes a uid as '#998' when the owner has no name (a card read on another machine).
            var sudoUser = ownerName ?? string.Create(CultureInfo.InvariantCulture, $"'#{owner}'");
            // The program's full path, not "edgeguard": it is not on a gateway's PATH
            // (/opt/edgeguard/current/edgeguard), and sudo's secure_path would not find it anyway.
            return $"{path} belongs to {Describe(ownerName, owner)}, but this runs as {Describe(nameOf(effectiveUser), effectiveUser)}: "
                + "a file it created there (the journal's -wal and -shm, the gateway lock) could not be written by the gateway, "
                + $"which would then not start. Run as the gateway's user: {Sudo(sudoUser, invocation)}";
        }

        return null;
    }

    /// <summary>
    /// <see cref="Refusal(IReadOnlyList{string}, string[])"/> for a journal tool's read-only open
    /// of <paramref name="db"/>: null also when its <c>-wal</c> and <c>-shm</c> are there (the
    /// gateway runs, or did not stop cleanly), as the open then creates nothing.
    /// </summary>
    /// <param name="arguments">The arguments as given after the program.</param>
    /// <param name="db">The journal's full path.</param>
    public static string? JournalRefusal(IReadOnlyList<string> arguments, string db)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var effective = EffectiveUserForTests.Value ?? LinuxFile.EffectiveUser;
        return JournalRefusal([.. Program(), .. arguments], db, effective, OwnerOf, UserName);
    }

    /// <summary>The journal tools' decision, given how owners and names are looked up.</summary>
    /// <param name="invocation">The program and its arguments, as run.</param>
    /// <param name="db">The journal's full path.</param>
    /// <param name="effectiveUser">The uid this process acts as.</param>
    /// <param name="ownerOf">The owner's uid of a path, or null when nothing is there.</param>
    /// <param name="nameOf">A uid's user name, or null when it has none.</param>
    internal static string? JournalRefusal(
        IReadOnlyList<string> invocation, string db, uint effectiveUser, Func<string, uint?> ownerOf, Func<uint, string?> nameOf) =>
        // Whoever owns them: a leftover foreign pair is reported by LeftoverWarning, and opening
        // beside it makes nothing worse.
        ownerOf(db + "-wal") is not null && ownerOf(db + "-shm") is not null
            ? null
            : Refusal(invocation, [db], effectiveUser, ownerOf, nameOf);

    /// <summary>
    /// Null unless files the gateway must write (its lock and pid files, the journal's
    /// <c>-wal</c> and <c>-shm</c>) belong to another user than the journal (or, without one, the
    /// state directory): left by a tool run as root before releases refused it, they keep the
    /// gateway from starting. Else a warning naming them and the <c>chown</c> that fixes it.
    /// </summary>
    /// <param name="directory">The state directory.</param>
    /// <param name="db">The journal's full path (in <paramref name="directory"/>).</param>
    public static string? LeftoverWarning(string directory, string db) =>
        OperatingSystem.IsLinux() ? LeftoverWarning(directory, db, OwnerOf, UserName) : null;

    /// <summary>The warning, given how owners and names are looked up (a test's choice).</summary>
    /// <param name="directory">The state directory.</param>
    /// <param name="db">The journal's full path.</param>
    /// <param name="ownerOf">The owner's uid of a path, or null when nothing is there.</param>
    /// <param name="nameOf">A uid's user name, or null when it has none.</param>
    internal static string? LeftoverWarning(string directory, string db, Func<string, uint?> ownerOf, Func<uint, string?> nameOf)
    {
        if ((ownerOf(db) ?? ownerOf(directory)) is not { } gateway)
        {
            return null;
        }

        string[] written =
            [Path.Combine(directory, GatewayLock.FileName), Path.Combine(directory, GatewayLock.PidFileName), db + "-wal", db + "-shm"];
        var foreign = written.Select(path => (Path: path, Owner: ownerOf(path))).Where(f => f.Owner is { } o && o != gateway).ToList();
        if (foreign.Count == 0)
        {
            return null;
        }

        var gatewayName = nameOf(gateway);
        var chownUser = gatewayName ?? gateway.ToString(CultureInfo.InvariantCulture);
        var files = string.Join("; ", foreign.Select(f => $"{f.Path} belongs to {Describe(nameOf(f.Owner!.Value), f.Owner.Value)}"));
        return $"{files}, not to {Describe(gatewayName, gateway)}, who owns {(ownerOf(db) is null ? directory : db)}: "
            + "left by a tool run as another user, they keep the gateway from starting (it cannot write them). "
            + $"Fix: sudo chown {chownUser}: {string.Join(' ', foreign.Select(f => ShellQuote(f.Path)))}";
    }

    /// <summary>
    /// The command that runs this program again with <paramref name="arguments"/> as
    /// <paramref name="user"/>: the program by its path, every word quoted for a shell.
    /// </summary>
    /// <param name="user">The user for <c>sudo -u</c>, as sudo takes it.</param>
    /// <param name="arguments">The arguments as given after the program.</param>
    internal static string RunAgainAs(string user, IReadOnlyList<string> arguments) => Sudo(user, [.. Program(), .. arguments]);

    private static string Sudo(string user, IReadOnlyList<string> invocation) =>
        $"sudo -u {user} {string.Join(' ', invocation.Select(ShellQuote))}";

    /// <summary>
    /// How this process was started, without its arguments: the apphost's path on a gateway;
    /// the host and the assembly under <c>dotnet edgeguard.dll</c> (a source checkout).
    /// </summary>
    internal static IReadOnlyList<string> Program()
    {
        var process = Environment.ProcessPath ?? "edgeguard";
        var name = Path.GetFileNameWithoutExtension(process);
        if (string.Equals(name, "dotnet", StringComparison.Ordinal)
            && System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name is { } entry)
        {
            // Not Assembly.Location: empty in a single-file app (which is not run by dotnet, but
            // the analyzer cannot know that).
            return [process, Path.Combine(AppContext.BaseDirectory, entry + ".dll")];
        }

        return [process];
    }

    /// <summary>One word for a POSIX shell: as it is when nothing in it is special, else in single quotes.</summary>
    internal static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./_-".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Describe(string? name, uint uid) =>
        name is null ? string.Create(CultureInfo.InvariantCulture, $"uid {uid}") : string.Create(CultureInfo.InvariantCulture, $"{name} (uid {uid})");

    /// <summary>The owner's uid of <paramref name="path"/> (links followed), or null when it cannot be seen.</summary>
    internal static uint? OwnerOf(string path) =>
        OperatingSystem.IsLinux() && LinuxFile.Stat(path, out _) is { } status ? status.Owner : null;

    // /etc/passwd rather than getpwuid: a name only makes the message easier to follow, and a
    // system without the file (a container) still gets the uid.
    private static string? UserName(uint uid)
    {
        try
        {
            var wanted = uid.ToString(CultureInfo.InvariantCulture);
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == wanted)
                {
                    return fields[0];
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No name: the uid is shown.
        }

        return null;
    }
}
