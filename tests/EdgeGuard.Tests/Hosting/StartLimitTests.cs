using System.Globalization;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The unit's start limit reboots a gateway whose every start fails, however it fails: also one
/// whose start hangs until systemd's TimeoutStartSec kills it (a driver wedged at open), the
/// slowest way a start can fail. Such a start takes TimeoutStartSec and then RestartSec before the
/// next; StartLimitBurst of them must fit in StartLimitIntervalSec, or the count never reaches
/// the burst and the reboot that clears a wedged driver never comes.
/// </summary>
public sealed class StartLimitTests
{
    [Fact]
    public void Hung_starts_back_to_back_reach_the_start_limit_and_its_reboot()
    {
        var unit = SystemdUnit.Text();
        var interval = SystemdUnit.Duration(unit, "StartLimitIntervalSec");
        var burst = int.Parse(SystemdUnit.Setting(unit, "StartLimitBurst"), CultureInfo.InvariantCulture);
        var hungStart = SystemdUnit.Duration(unit, "TimeoutStartSec") + SystemdUnit.Duration(unit, "RestartSec");

        Assert.Equal("reboot", SystemdUnit.Setting(unit, "StartLimitAction"));
        Assert.True(burst * hungStart <= interval, $"{burst} hung starts of {hungStart} fit in StartLimitIntervalSec={interval}");
    }
}
