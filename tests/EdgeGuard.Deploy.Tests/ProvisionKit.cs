namespace EdgeGuard.Deploy.Tests;

/// <summary>What the provisioning tests share: scratch roots like a gateway's, running the script, a full-disk cp.</summary>
internal static class ProvisionKit
{
    public const string Site = "embassy-x";
    public const string Gateway = "gw-lobby";
    public const int EdgeGuardId = 990;
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>systemd-timesyncd's drop-in the script writes, relative to a root.</summary>
    public const string TimeSyncDropIn = "etc/systemd/timesyncd.conf.d/edgeguard.conf";

    /// <summary>The lines of the timesyncd drop-in under <paramref name="root"/>.</summary>
    public static Task<string[]> DropInAsync(TempDirectory root) => File.ReadAllLinesAsync(Path.Combine(root.Path, TimeSyncDropIn));

    public static readonly string[] ChangeWords = ["installed", "updated", "created", "removed", "fixed", "added", "enabled"];

    /// <summary>
    /// A root like a Bookworm system on which the edgeguard account already exists, in the groups
    /// gpio, i2c and spi (as useradd in provision-gateway.sh makes it); <paramref name="groups"/>
    /// replaces those three lines of etc/group.
    /// </summary>
    public static TempDirectory BookwormRoot(string? groups = null)
    {
        var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "etc"));
        File.WriteAllText(Path.Combine(root.Path, "etc/os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n");
        File.WriteAllText(Path.Combine(root.Path, "etc/passwd"), $"root:x:0:0:root:/root:/bin/bash\nedgeguard:x:{EdgeGuardId}:{EdgeGuardId}::/var/lib/edgeguard:/usr/sbin/nologin\n");
        groups ??= "gpio:x:993:edgeguard\ni2c:x:994:edgeguard\nspi:x:995:pi,edgeguard\n";
        File.WriteAllText(Path.Combine(root.Path, "etc/group"), $"root:x:0:\n{groups}edgeguard:x:{EdgeGuardId}:\n");
        return root;
    }

    /// <summary>Provisions <paramref name="release"/>'s tarball with its TLS files into <paramref name="root"/>.</summary>
    public static Task<Scripts.Result> Provision(this ReleaseFixture release, string root, string broker = "office.example:8883", params string[] extra) =>
        ProvisionWith(release.Tarball, root, broker, (release.CaFile, release.CertFile, release.KeyFile), null, extra);

    /// <remarks>
    /// With <c>--demo</c>: a first install without <c>--config-template</c> takes the release's
    /// sample, as these tests expect (without it, it is refused); a re-run keeps the installed config.
    /// </remarks>
    public static Task<Scripts.Result> ProvisionWith(
        string tarball, string root, string broker, (string Ca, string Cert, string Key) tls,
        IReadOnlyDictionary<string, string>? environment, params string[] extra) =>
        Scripts.RunAsync("deploy/provision-gateway.sh", Patience, environment ?? new Dictionary<string, string>(StringComparer.Ordinal),
        [
            "--tarball", tarball, "--site", Site, "--gateway", Gateway, "--broker", broker,
            "--ca", tls.Ca, "--cert", tls.Cert, "--key", tls.Key, "--root", root, "--demo", .. extra,
        ]);

    /// <summary>
    /// A PATH whose <c>cp</c> fails like a full SD card (a truncated file, then an error) when
    /// the destination ends with <paramref name="destinationSuffix"/>; every other copy is the real cp.
    /// </summary>
    public static Dictionary<string, string> DiskFullFor(TempDirectory scratch, string destinationSuffix) =>
        FailingOn(scratch, "cp", destinationSuffix, """
            head -c 7 "$src" >"$last"
            echo "cp: error writing '$last': No space left on device" >&2
            """);

    /// <summary>A PATH whose <c>ln</c> fails like a full disk (no inode left) when the link's name ends with <paramref name="linkSuffix"/>.</summary>
    public static Dictionary<string, string> NoInodeForLink(TempDirectory scratch, string linkSuffix) =>
        FailingOn(scratch, "ln", linkSuffix, """
            echo "ln: failed to create symbolic link '$last': No space left on device" >&2
            """);

    /// <summary>
    /// A PATH whose <c>find</c> lists only the first entry and then fails (an I/O error half-way)
    /// when it lists files by <c>-printf '%P\0'</c>, as provision-gateway.sh lists the release's app.
    /// </summary>
    public static Dictionary<string, string> ListingFailsHalfWay(TempDirectory scratch) =>
        FailingOn(scratch, "find", @"%P\0", """
            /bin/find "$@" | head -z -n 1
            echo "find: './runtimes': Input/output error" >&2
            """);

    // A shim for /bin/COMMAND, first on PATH: when its last argument ends with SUFFIX it runs
    // FAILURE ($src is the one before it) and exits 1; otherwise it is the real command.
    private static Dictionary<string, string> FailingOn(TempDirectory scratch, string command, string suffix, string failure)
    {
        var bin = Path.Combine(scratch.Path, "bin");
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, command);
        File.WriteAllText(shim, $"""
            #!/bin/sh
            src="" last=""
            for arg in "$@"; do src=$last last=$arg; done
            case "$last" in
              *'{suffix}')
            {failure}
                exit 1 ;;
            esac
            exec /bin/{command} "$@"

            """);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
    }

    public static string[] Leftovers(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".new", StringComparison.Ordinal) || p.EndsWith(".provision-tmp", StringComparison.Ordinal))
            .ToArray();
}
