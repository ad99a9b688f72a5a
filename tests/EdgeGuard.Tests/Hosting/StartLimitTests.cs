using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The unit's start limit reboots a gateway whose every start fails, however it fails: also one
/// whose start hangs until systemd's TimeoutStartSec kills it (a driver wedged at open), the
/// slowest way a start can fail. Such a start takes TimeoutStartSec and then RestartSec before the
/// next; StartLimitBurst of them must fit in StartLimitIntervalSec, or the count never reaches
/// the burst and the reboot that clears a wedged driver never comes.
/// </summary>
public sealed partial class StartLimitTests
{
    [Fact]
    public void Hung_starts_back_to_back_reach_the_start_limit_and_its_reboot()
    {
        var unit = Unit();
        var interval = Seconds(unit, "StartLimitIntervalSec");
        var burst = int.Parse(Setting(unit, "StartLimitBurst"), CultureInfo.InvariantCulture);
        var hungStart = Seconds(unit, "TimeoutStartSec") + Seconds(unit, "RestartSec");

        Assert.Equal("reboot", Setting(unit, "StartLimitAction"));
        Assert.True(burst * hungStart <= interval, $"{burst} hung starts of {hungStart} fit in StartLimitIntervalSec={interval}");
    }

    internal static string Unit()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "deploy", "edgeguard.service")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return File.ReadAllText(Path.Combine(directory.FullName, "deploy", "edgeguard.service"));
    }

    internal static string Setting(string unit, string key)
    {
        var match = Regex.Match(unit, $"^{key}=(.+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{key} in deploy/edgeguard.service");
        return match.Groups[1].Value.Trim();
    }

    // systemd's time spans as the unit writes them: a number and s, min or h.
    private static TimeSpan Seconds(string unit, string key)
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
