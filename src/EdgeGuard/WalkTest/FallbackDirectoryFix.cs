using EdgeGuard.Cli;

namespace EdgeGuard.WalkTest;

/// <summary>
/// The command that creates the gateway's volatile fallback directory when the walk test, run as
/// the gateway's user, cannot: systemd makes it when the unit starts (RuntimeDirectory=) and, on a
/// gateway provisioned with it, at every boot from a tmpfiles.d entry. A gateway provisioned
/// before that entry existed and booted with the unit disabled has none.
/// </summary>
internal static class FallbackDirectoryFix
{
    /// <summary>The tmpfiles.d entry provisioning installs (deploy/provision-system.sh).</summary>
    public const string TmpfilesEntry = "/etc/tmpfiles.d/edgeguard.conf";

    /// <summary>
    /// <c>systemd-tmpfiles --create</c> of the entry when it makes <paramref name="directory"/>
    /// (one definition of mode and owner, the one the next boot uses too); else <c>install -d</c>
    /// with the mode and owner of the unit's RuntimeDirectory. Paths are quoted for a POSIX shell:
    /// the command is pasted, and a space or quote in a path would otherwise split or break it.
    /// </summary>
    /// <param name="directory">The config's fallback directory, which could not be created.</param>
    /// <param name="tmpfilesEntry">Where provisioning's tmpfiles.d entry is (tests: their own).</param>
    public static string For(string directory, string tmpfilesEntry = TmpfilesEntry) =>
        Creates(tmpfilesEntry, directory)
            ? $"sudo systemd-tmpfiles --create {GatewayFilesUser.ShellQuote(tmpfilesEntry)}"
            : $"sudo install -d -o edgeguard -g edgeguard -m 0750 {GatewayFilesUser.ShellQuote(directory)}";

    /// <summary>
    /// Whether <paramref name="entry"/> has a directory line (type d or D) for
    /// <paramref name="directory"/>: a config whose fallback directory is elsewhere is not fixed by it.
    /// </summary>
    private static bool Creates(string entry, string directory)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(entry);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // none (not provisioned with it), or unreadable: install -d works anyway
        }

        var wanted = Path.TrimEndingDirectorySeparator(directory);
        foreach (var line in lines)
        {
            var fields = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0].TrimEnd('!', '-', '+').ToUpperInvariant() == "D"
                && string.Equals(Path.TrimEndingDirectorySeparator(fields[1]), wanted, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
