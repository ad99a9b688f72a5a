using System.Globalization;
using System.Text;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// What a late read of the saved safety state held, and what of it is not in force, in words for
// the office's fault.safety-state-unreadable: kept apart from SiteController.Boot.cs, which
// decides what is put back.
public sealed partial class SiteController
{
    // What a late read held, for the office: mode, scenario, cause, point, since, fire release,
    // suspended scenarios, threat level, bypasses, door alarms and door releases.
    private static string Held(SafetyState loaded)
    {
        var held = new StringBuilder().Append(CultureInfo.InvariantCulture, $"mode {ScenarioWire.Mode(loaded.Mode)}");
        if (loaded.Lockdown is { } scenario)
        {
            held.Append(CultureInfo.InvariantCulture, $" (scenario {scenario.Scenario}{(scenario.Drill ? ", a drill" : string.Empty)}), cause '{scenario.Cause}'");
            held.Append(scenario.Point is { } point ? $" at point {point}" : string.Empty);
            held.Append(CultureInfo.InvariantCulture, $" since {scenario.Since:O}");
        }

        held.Append(loaded.LifeSafety == LifeSafety.FireEgressReleased ? ", egress released for a fire" : ", no fire release");
        if (loaded.SuspendedScenarios.Count > 0)
        {
            held.Append(CultureInfo.InvariantCulture, $", {loaded.SuspendedScenarios.Count} suspended scenario(s): ");
            held.AppendJoin(", ", loaded.SuspendedScenarios.Select(s => $"{s.Info.Scenario} ({ScenarioWire.Mode(s.Mode)})"));
        }

        foreach (var other in Settings(loaded))
        {
            held.Append(", ").Append(other);
        }

        return held.ToString();
    }

    /// <summary>
    /// What a late read held beyond its mode, scenario and suspended scenarios that is not in
    /// force now: its threat level (perimeter breaches may no longer start a lockdown), bypasses,
    /// door alarms and releases, a fire release (reset since). Each one says what is lost, so the
    /// office re-issues what is still wanted instead of a lockdown there was none of.
    /// </summary>
    private static List<string> NotRestored(SafetyState loaded, SafetyState now)
    {
        var lost = Settings(loaded).Except(Settings(now), StringComparer.Ordinal).ToList();
        if (loaded.LifeSafety == LifeSafety.FireEgressReleased && now.LifeSafety != LifeSafety.FireEgressReleased)
        {
            lost.Insert(0, "the fire release (egress follows the fire inputs and resets since the boot)");
        }

        return lost;
    }

    // The threat level, bypasses, door alarms and door releases a state holds, one phrase each.
    private static IEnumerable<string> Settings(SafetyState state)
    {
        if (state.ThreatLevel is { } level)
        {
            yield return ThreatLevelPhrase(level);
        }

        foreach (var (point, bypass) in state.BypassedPoints)
        {
            yield return BypassPhrase(point, bypass);
        }

        foreach (var (door, alarm) in state.ActiveDoorAlarms)
        {
            yield return DoorAlarmPhrase(door, alarm);
        }

        foreach (var (door, release) in state.ReleasedDoors)
        {
            yield return DoorReleasePhrase(door, release);
        }
    }

    // One phrase per setting, shared with what a boot did not keep after a config change
    // (SiteController.ConfigChange.cs), so the office reads one wording for both.
    private static string ThreatLevelPhrase(int level) => string.Create(CultureInfo.InvariantCulture, $"threat level {level}");

    private static string BypassPhrase(string point, PointBypass bypass) =>
        string.Create(CultureInfo.InvariantCulture, $"bypass of point {point} until {bypass.Until:O} by {bypass.Operator}");

    private static string DoorAlarmPhrase(string door, DoorAlarm alarm) => $"door alarm {alarm} at door {door}";

    private static string DoorReleasePhrase(string door, DoorRelease release) => $"door release {release} at door {door}";
}
