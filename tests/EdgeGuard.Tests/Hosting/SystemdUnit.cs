using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The systemd unit the gateway is installed with (deploy/edgeguard.service), read from the
/// repository the tests run in: the tests that hold the code to the unit's settings (stop and start
/// budgets, the start limit, directories, modules) read it here.
/// </summary>
internal static partial class SystemdUnit
{
    /// <summary>The repository's root: the nearest directory above the test binaries with deploy/edgeguard.service.</summary>
    public static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "deploy", "edgeguard.service")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return directory.FullName;
    }

    /// <summary>The unit file's text.</summary>
    public static string Text() => File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "edgeguard.service"));

    /// <summary>The value of the first <c>key=</c> line of <paramref name="unit"/>, trimmed; asserted present.</summary>
    public static string Setting(string unit, string key)
    {
        var match = Regex.Match(unit, $"^{Regex.Escape(key)}=(.+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{key}= in deploy/edgeguard.service");
        return match.Groups[1].Value.Trim();
    }

    /// <summary>A time span setting as the unit writes them: a number and s, min or h.</summary>
    public static TimeSpan Duration(string unit, string key)
    {
        var match = TimeSpanValue().Match(Setting(unit, key));
        Assert.True(match.Success, $"{key} is a number with s, min or h");
        var value = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "h" => TimeSpan.FromHours(value),
            "min" => TimeSpan.FromMinutes(value),
            _ => TimeSpan.FromSeconds(value),
        };
    }

    [GeneratedRegex(@"^(\d+)(s|min|h)$")]
    private static partial Regex TimeSpanValue();
}
