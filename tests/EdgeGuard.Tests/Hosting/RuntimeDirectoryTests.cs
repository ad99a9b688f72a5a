using System.Text.RegularExpressions;
using EdgeGuard.Journal;

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
        var unit = Unit();

        var runtime = RuntimeDirectory().Match(unit);
        Assert.True(runtime.Success, "RuntimeDirectory= in deploy/edgeguard.service");
        Assert.Equal(JournalOpener.DefaultFallbackDirectory, "/run/" + runtime.Groups[1].Value);
        Assert.Matches(PreserveYes(), unit);
    }

    private static string Unit()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "deploy", "edgeguard.service")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return File.ReadAllText(Path.Combine(directory.FullName, "deploy", "edgeguard.service"));
    }

    [GeneratedRegex(@"^RuntimeDirectory=(\S+)$", RegexOptions.Multiline)]
    private static partial Regex RuntimeDirectory();

    [GeneratedRegex(@"^RuntimeDirectoryPreserve=yes$", RegexOptions.Multiline)]
    private static partial Regex PreserveYes();
}
