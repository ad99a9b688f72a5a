using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// What a boot did not keep of the saved safety state because a technician changed the config
// while the gateway was stopped. SiteState.Restore decides it (config decides what exists); this
// names it, in the late read's wording (SiteController.LateRead.cs), for the log and for the
// office's gateway.started: the office's console would otherwise still show a latched door, a
// bypass or level 4 that the site no longer has.
public sealed partial class SiteController
{
    /// <summary>
    /// What of <paramref name="saved"/> <paramref name="restored"/> does not hold as saved, one
    /// phrase each with why and what is in force instead; logged as warnings. Empty when
    /// everything was kept, as after a boot with an unchanged config.
    /// </summary>
    private List<string> NotRestoredAfterConfigChange(SafetyState saved, SiteState restored)
    {
        var now = restored.Safety;
        var lost = new List<string>();
        if (saved.Mode != SiteMode.Normal && saved.Lockdown is { } running && Unconfigured(running.Scenario, saved.Mode) is { } changed)
        {
            lost.Add($"scenario {running.Scenario} ({changed}: kept in force by a stand-in with the lockdown's releasers)");
        }

        foreach (var suspended in saved.SuspendedScenarios)
        {
            if (Unconfigured(suspended.Info.Scenario, suspended.Mode) is { } gone)
            {
                lost.Add($"suspended scenario {suspended.Info.Scenario} ({gone}: kept by a stand-in with the lockdown's releasers)");
            }
        }

        if (saved.ThreatLevel is { } level && now.ThreatLevel != level)
        {
            lost.Add(ThreatLevelPhrase(level) + string.Create(CultureInfo.InvariantCulture,
                $" (no longer configured: the initial level {restored.ThreatLevel} is in force)"));
        }

        foreach (var (point, bypass) in saved.BypassedPoints.Where(b => !now.BypassedPoints.ContainsKey(b.Key)))
        {
            var why = site.FindPoint(point) is null ? "the point is no longer configured" : "the point can no longer be bypassed";
            lost.Add($"{BypassPhrase(point, bypass)} ({why}: dropped)");
        }

        foreach (var (door, alarm) in saved.ActiveDoorAlarms.Where(a => !now.ActiveDoorAlarms.ContainsKey(a.Key)))
        {
            var why = Door(door) is null ? "the door is no longer configured" : "the door has no contact any more to restore it";
            lost.Add($"{DoorAlarmPhrase(door, alarm)} ({why}: dropped)");
        }

        foreach (var (door, release) in saved.ReleasedDoors.Where(r => now.ReleasedDoors.GetValueOrDefault(r.Key) is var kept && kept != r.Value))
        {
            var why = Door(door) is { } configured
                ? string.Create(CultureInfo.InvariantCulture,
                    $"the door has no delayed egress{(configured.Relock.Count == 0 ? " or relock key" : string.Empty)} any more: released for its request-to-exit time, {configured.Release.TotalSeconds:0.#} s, then locked as configured")
                : "the door is no longer configured: dropped";
            lost.Add($"{DoorReleasePhrase(door, release)} ({why})");
        }

        foreach (var point in saved.BreachedPoints.Where(p => !restored.Breached.Contains(p)))
        {
            lost.Add($"breach record of point {point} (no longer a perimeter point: dropped)");
        }

        foreach (var point in (saved.HeldPanics ?? []).Where(p => !restored.HeldPanics.Contains(p)))
        {
            lost.Add(site.FindPoint(point) is { Kind: PointKind.PanicButton }
                ? $"held record of point {point} (its press as now configured does not fit the saved state: it was a silent hold-up or "
                    + "triggered another scenario; dropped, and the button decided as pressed if held)"
                : $"held record of point {point} (no longer a panic button: dropped)");
        }

        foreach (var point in saved.LifeSafety == LifeSafety.FireEgressReleased ? saved.FireRaisedInputs.Where(p => !restored.FireRaised.Contains(p)) : [])
        {
            lost.Add($"fire.alarm record of point {point} (no longer a fire input: dropped; configured again, it raises fire.alarm once more)");
        }

        foreach (var item in lost)
        {
            LogNotRestoredAfterConfigChange(item);
        }

        return lost;
    }

    // Why a saved scenario is held by a stand-in (SiteDefinition.ScenarioOrStandIn), or null when
    // the config still has it with its mode.
    private string? Unconfigured(string scenario, SiteMode mode) => site.Scenarios.FirstOrDefault(s => s.Id == scenario) switch
    {
        null => "no longer configured",
        { Mode: var now } when now != mode => $"configured now as {now}, saved as {mode}",
        _ => null,
    };

    private DoorDefinition? Door(string id) => site.DoorList.FirstOrDefault(d => d.Id == id);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "The saved safety state held {Item}: the config changed while the gateway was stopped (reported in gateway.started)")]
    private partial void LogNotRestoredAfterConfigChange(string item);
}
