using System.Runtime.Versioning;

namespace EdgeGuard.Mqtt.Files;

/// <summary>
/// A directory whose files the gateway trusts as its own (the state directory and the journal's
/// fallback directory: the journal, the persisted safety state, a RAM journal the gateway adopts
/// at start). Whoever may put a file there can feed the gateway a forged journal, so the rule is
/// the one <see cref="CheckedFile"/> holds a key file's directory to, and stricter on one point:
/// the sticky bit (/tmp, /dev/shm) keeps others from replacing files, not from making them, so a
/// sticky directory others may write is refused as well.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class CheckedDirectory
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// What is wrong with <paramref name="directory"/> (an absolute path): writable by group or
    /// others, or owned by neither root nor the service's user (the user validating, who is the
    /// service's when provisioning validates; root cannot tell which user the service runs as, so
    /// for root the owner is not judged). One that does not exist yet (a
    /// state directory before the first start) is judged by its nearest existing parent, since
    /// whoever may write there could make it first, with their own files in it. Links are
    /// followed (stat). <paramref name="holds"/> names what it holds ("the journal"). Null when it
    /// passes.
    /// </summary>
    public static string? Problem(string directory, string holds) => Problem(directory, holds, LinuxFile.EffectiveUser);

    /// <summary><see cref="Problem(string, string)"/> as the user <paramref name="effectiveUser"/> (tests run as root).</summary>
    internal static string? Problem(string directory, string holds, uint effectiveUser)
    {
        var full = Path.GetFullPath(directory);
        var judged = full;
        LinuxFile.Status? status;
        int errno;
        while ((status = LinuxFile.Stat(judged, out errno)) is null && errno == LinuxFile.NoSuchFile
               && Path.GetDirectoryName(judged) is { } parent)
        {
            judged = parent;
        }

        if (status is not { } found)
        {
            return $"directory '{judged}' cannot be checked: {LinuxFile.Describe(errno)}";
        }

        if (found.Kind != LinuxFile.FileKind.Directory)
        {
            // A file in the way: opening the journal says so, in its own words.
            return null;
        }

        var subject = judged == full
            ? $"directory '{full}'"
            : $"'{full}' does not exist yet, and whoever may write '{judged}' could make it first: directory '{judged}'";
        if ((found.Mode & GroupOrOtherWrite) != 0)
        {
            var sticky = (found.Mode & UnixFileMode.StickyBit) != 0
                ? "; the sticky bit keeps others from replacing files there, not from making them"
                : "";
            return $"{subject} is writable by group or others (mode {Octal(found.Mode)}{sticky}): whoever can write there could put in a forged {holds}; choose a directory of the service's own, or 'chmod go-w' it (0750)";
        }

        if (effectiveUser != 0 && found.Owner != 0 && found.Owner != effectiveUser)
        {
            return $"{subject} is owned by uid {found.Owner}, neither root nor the service's user: that user could put in a forged {holds}; 'chown' it to the service's user";
        }

        return null;
    }

    // With the special bits: 01777 says "sticky" where 0777 would hide it.
    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);
}
