using System.Globalization;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>
        /// A key that resets a fire release or relocks a door after delayed egress ends a release, and must not
        /// also start a scenario (a drill, the lockdown's drill, an evacuation) or set a threat level. The decider
        /// judges the fire first and then the rest of the same turn, so one turn to relock egress after a fire would
        /// also start, say, a drill: a guard must know what one turn of a key does. Ending a scenario too is allowed,
        /// as for any key that ends one (a supervisor's master key).
        /// </summary>
        private void CheckLifeSafetyKeys(
            ConfigNode root, LifeSafetyPolicy? lifeSafety, IReadOnlyList<DoorDefinition>? doors, LockdownPolicy? lockdown,
            List<string> lockdownDrill, List<ScenarioDefinition>? scenarios, List<ThreatLevelDefinition>? levels)
        {
            if (lockdown is null || scenarios is null || levels is null)
            {
                return; // their own errors are reported; a starter cannot be told apart yet
            }

            // A key that also ends a scenario and starts something was reported by CheckStartEndKeys or
            // CheckThreatKeys already: not again here for the same turn of the same key.
            var enders = ScenarioEnders(lockdown, scenarios);
            var starts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in lockdownDrill)
            {
                starts.TryAdd(key, "starts the lockdown's drill");
            }

            foreach (var scenario in scenarios)
            {
                foreach (var key in scenario.Triggers.Concat(scenario.DrillTriggers))
                {
                    starts.TryAdd(key, $"starts scenario '{scenario.Id}'");
                }
            }

            foreach (var level in levels)
            {
                foreach (var key in level.SelectKeyswitches)
                {
                    starts.TryAdd(key, $"sets threat level {level.Level.ToString(CultureInfo.InvariantCulture)}");
                }
            }

            foreach (var key in (lifeSafety?.FireResetKeyswitches ?? []).Where(k => starts.ContainsKey(k) && !enders.Contains(k)))
            {
                _w.Error(root.Child("lifeSafety").Child("fireResetKeyswitches"), null,
                    $"'{key}' also {starts[key]}; a key that resets a fire release must not start anything, or one turn to relock egress would also do that");
            }

            var doorsNode = root.Child("doors");
            foreach (var door in doors ?? [])
            {
                // At the door's own item: DoorDefinition does not keep where it was read.
                var at = doorsNode.Section.GetChildren().FirstOrDefault(item => item["id"] == door.Id) is { } item
                    ? doorsNode.Child(item.Key).Child("relockKeyswitches")
                    : doorsNode;
                foreach (var key in door.Relock.Where(k => starts.ContainsKey(k) && !enders.Contains(k)))
                {
                    _w.Error(at, $"door '{door.Id}'",
                        $"relock keyswitch '{key}' also {starts[key]}; a key that relocks a door after delayed egress must not start anything, or one turn to relock it would also do that");
                }
            }
        }
    }
}
