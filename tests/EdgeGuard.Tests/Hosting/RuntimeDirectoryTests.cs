using System.Text.RegularExpressions;
using EdgeGuard.Journal;
using EdgeGuard.WalkTest;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The journal's volatile fallback directory (JournalOpener) is one the unit gives the service: under
/// ProtectSystem=strict nothing else outside the state directory is writable, and a fallback that
/// cannot be created fails the start as the journal did before. It must outlive a restart, so that
/// the next start finds the seqs the fallback used and continues above them.
/// </summary>
public sealed partial class RuntimeDirectoryTests
{
    [Fact]
    public void The_unit_gives_the_service_the_default_fallback_directory_and_keeps_it_across_restarts()
    {
        var unit = SystemdUnit.Text();

        var runtime = RuntimeDirectory().Match(unit);
        Assert.True(runtime.Success, "RuntimeDirectory= in deploy/edgeguard.service");
        Assert.Equal(JournalOpener.DefaultFallbackDirectory, "/run/" + runtime.Groups[1].Value);
        Assert.Matches(PreserveYes(), unit);
    }

    [Fact]
    public void Provisionings_tmpfiles_entry_makes_the_same_directory_with_the_units_mode_and_owner()
    {
        // Both make /run/edgeguard: the entry at boot (the walk test needs it with the unit
        // disabled), the unit at its start. Were they to differ, each would change what the other
        // made, and the walk test's fix (FallbackDirectoryFix) would name another file.
        var unit = SystemdUnit.Text();
        var lib = File.ReadAllText(Path.Combine(SystemdUnit.RepoRoot(), "deploy", "provision-system.sh"));

        var line = TmpfilesLine().Match(lib);
        Assert.True(line.Success, "tmpfiles_line= in deploy/provision-system.sh");
        var expected = $"d {JournalOpener.DefaultFallbackDirectory} {SystemdUnit.Setting(unit, "RuntimeDirectoryMode")}"
            + $" {SystemdUnit.Setting(unit, "User")} {SystemdUnit.Setting(unit, "Group")} -";
        Assert.Equal(expected, line.Groups[1].Value);
        Assert.Contains($"\ntmpfiles_rel={FallbackDirectoryFix.TmpfilesEntry}\n", lib, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^RuntimeDirectory=(\S+)$", RegexOptions.Multiline)]
    private static partial Regex RuntimeDirectory();

    [GeneratedRegex("^tmpfiles_line=\"(.*)\"$", RegexOptions.Multiline)]
    private static partial Regex TmpfilesLine();

    [GeneratedRegex(@"^RuntimeDirectoryPreserve=yes$", RegexOptions.Multiline)]
    private static partial Regex PreserveYes();
}
