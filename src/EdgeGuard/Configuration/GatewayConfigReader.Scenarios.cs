using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Scenarios beyond the built-in lockdown, and drills: which points start and end each, and what a
// drill keeps silent.
public static partial class GatewayConfigReader
{
    private static readonly string[] ScenarioKeys = ["id", "mode", "zones", "rank", "triggers", "drillTriggers", "releasers", "sirenSeconds"];
    private static readonly string[] DrillKeys = ["mutedOutputs"];

    private static readonly (string, SiteMode)[] ScenarioModes =
        [("lockdown", SiteMode.Lockdown), ("evacuation", SiteMode.Evacuation), ("shelterInPlace", SiteMode.ShelterInPlace)];

    private sealed partial class Run
    {
        private List<ScenarioDefinition>? Scenarios(ConfigNode node, LockdownPolicy? lockdown)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            var scenarios = new List<ScenarioDefinition>();
            var ranks = new Dictionary<int, string> { [ScenarioDefinition.LockdownRank] = ScenarioDefinition.LockdownId };
            // Every id read, not only those of scenarios read without a problem: a second 'evac'
            // was reported only once the first one's other problem (a rank of 0) was fixed.
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (!_w.Object(item, null, ScenarioKeys) || Id(item.Child("id"), null, required: true) is not { } id)
                {
                    continue;
                }

                var subject = $"scenario '{id}'";
                if (id == ScenarioDefinition.LockdownId || !ids.Add(id))
                {
                    _w.Error(item.Child("id"), subject, $"scenario id '{id}' is already used{(id == ScenarioDefinition.LockdownId ? " by the built-in lockdown (configured under lockdown)" : "")}");
                    continue;
                }

                var mode = _w.Enum(item.Child("mode"), subject, required: true, ScenarioModes);
                var zones = new List<string>();
                var zonesOk = DistinctRefs(item.Child("zones"), "zone", z => ZoneRef(z, subject), zones);
                var rankNode = item.Child("rank");
                var rank = _w.Int(rankNode, subject, required: true, 1, 1000);
                if (rank is { } r && !ranks.TryAdd(r, id))
                {
                    _w.Error(rankNode, subject, $"rank {r} is already used by scenario '{ranks[r]}'; ranks decide which scenario wins when two overlap, so they must differ");
                }

                var triggers = new List<string>();
                var triggersOk = DistinctRefs(item.Child("triggers"), "trigger", n => TriggerRef(n, subject, mode), triggers);
                foreach (var silent in triggers.Where(t => _silentPanics.Contains(t)))
                {
                    _w.Error(item.Child("triggers"), subject, $"'{silent}' is a silent hold-up button: it only reports, so it cannot start a scenario");
                    triggersOk = false;
                }
                var drillTriggers = new List<string>();
                var drillOk = DistinctRefs(item.Child("drillTriggers"), "keyswitch", n => KeyswitchRef(n, "start a drill"), drillTriggers);
                var releasersNode = item.Child("releasers");
                var releasers = new List<string>();
                var releasersOk = DistinctRefs(releasersNode, "keyswitch", n => KeyswitchRef(n, "end a scenario"), releasers);
                if (releasersOk && releasers.Count == 0)
                {
                    _w.Error(releasersNode, subject, "name at least one keyswitch point that may end this scenario locally");
                }

                foreach (var both in releasers.Intersect(triggers.Concat(drillTriggers), StringComparer.Ordinal))
                {
                    _w.Error(releasersNode, subject, $"'{both}' both starts and ends this scenario; use separate keyswitches so one turn cannot undo the other");
                }

                var siren = _w.Int(item.Child("sirenSeconds"), subject, required: false, 1, 3600, (int?)lockdown?.SirenDuration.TotalSeconds ?? DefaultSirenSeconds);
                if (mode is { } m && zonesOk && rank is not null && triggersOk && drillOk && releasersOk && siren is not null)
                {
                    scenarios.Add(new ScenarioDefinition(id, m, zones, rank.Value, triggers, drillTriggers, releasers, TimeSpan.FromSeconds(siren.Value)));
                    _scenarioItems[id] = item;
                }
            }

            return scenarios;
        }

        /// <summary>
        /// A scenario's trigger: a panic button or keyswitch. A panic button may trigger only a
        /// scenario that locks (lockdown, shelter in place): the highest-ranked scenario listing it
        /// wins its press, so an evacuation listing one would open the very doors the press must
        /// lock. Reported at the item, one error per button and scenario, so every one is listed.
        /// </summary>
        private string? TriggerRef(ConfigNode node, string subject, SiteMode? mode)
        {
            var id = PointRef(node, subject, required: true, "a panicButton or keyswitch", PointKind.PanicButton, PointKind.Keyswitch);
            // A silent hold-up button is refused as any scenario's trigger, with its own message.
            if (id is null || mode != SiteMode.Evacuation || _pointKinds.GetValueOrDefault(id) != PointKind.PanicButton || _silentPanics.Contains(id))
            {
                return id;
            }

            _w.Error(node, subject,
                $"panic button '{id}' may not trigger an evacuation scenario: a panic press must lock the doors, and an evacuation "
                + $"releases every egress lock; remove it from this scenario's triggers (every panic button already starts the "
                + "built-in lockdown), and start the evacuation with a keyswitch or from the office");
            return null;
        }

        /// <summary>
        /// A key that ends some scenario must not also start one: turned during a lockdown it would be
        /// read as both, and a guard must always know what one turn of a key does.
        /// </summary>
        private void CheckStartEndKeys(ConfigNode lockdownNode, LockdownPolicy? lockdown, List<string> lockdownDrill, List<ScenarioDefinition>? scenarios)
        {
            if (lockdown is null || scenarios is null)
            {
                return;
            }

            var enders = ScenarioEnders(lockdown, scenarios);
            foreach (var key in lockdownDrill.Where(enders.Contains))
            {
                _w.Error(lockdownNode.Child("drillTriggers"), null, $"'{key}' also ends a scenario; a key that ends one must not start one");
            }

            // At each scenario's own item: the list read holds only scenarios read without a problem, so an
            // index into it named another item once an earlier scenario was left out.
            foreach (var scenario in scenarios)
            {
                // Its own releasers were reported with the scenario ("both starts and ends this scenario").
                var own = scenario.Releasers;
                foreach (var key in scenario.Triggers.Concat(scenario.DrillTriggers).Where(k => enders.Contains(k) && !own.Contains(k, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal))
                {
                    _w.Error(_scenarioItems[scenario.Id], $"scenario '{scenario.Id}'",
                        $"'{key}' also ends a scenario; a key that ends one must not start one");
                }
            }
        }

        /// <summary>The keys that end a scenario: the lockdown's clear keys and every scenario's releasers.</summary>
        private static HashSet<string> ScenarioEnders(LockdownPolicy lockdown, List<ScenarioDefinition> scenarios) =>
            lockdown.ClearKeyswitches.Concat(scenarios.SelectMany(s => s.Releasers)).ToHashSet(StringComparer.Ordinal);

        /// <summary>Outputs a drill keeps silent. Never a lock: a drill must lock doors like the real thing.</summary>
        private List<string>? DrillMutedOutputs(ConfigNode node, IReadOnlyList<OutputDefinition>? outputs)
        {
            if (node.IsPresent && !_w.Object(node, null, DrillKeys))
            {
                return null;
            }

            var muted = new List<string>();
            return DistinctRefs(node.Child("mutedOutputs"), "output",
                n => OutputRef(n, "drill", outputs, required: true, "a siren, strobe or indicator", OutputKind.Siren, OutputKind.Strobe, OutputKind.Indicator), muted)
                ? muted
                : null;
        }
    }
}
