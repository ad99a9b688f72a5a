using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Threat levels: what each level arms and changes, which level a gateway starts at, and the
// keyswitches that set a level locally.
public static partial class GatewayConfigReader
{
    private static readonly string[] ThreatKeys = ["initial", "levels"];
    private static readonly string[] ThreatLevelKeys = ["level", "name", "armedZones", "breachStartsLockdown", "heldOpenSeconds", "selectKeyswitches"];

    private sealed partial class Run
    {
        /// <summary>The levels (empty when not configured) and the initial level; null when broken.</summary>
        private (List<ThreatLevelDefinition> Levels, int Initial)? ThreatLevels(ConfigNode node)
        {
            if (!node.IsPresent)
            {
                return ([], 1);
            }

            if (!_w.Object(node, null, ThreatKeys) || _w.List(node.Child("levels"), null) is not { } items)
            {
                return null;
            }

            var levels = new List<ThreatLevelDefinition>();
            var ok = true;
            foreach (var item in items)
            {
                if (!_w.Object(item, null, ThreatLevelKeys) || _w.Int(item.Child("level"), null, required: true, 1, 100) is not { } level)
                {
                    ok = false;
                    continue;
                }

                var subject = $"threat level {level}";
                if (levels.Any(l => l.Level == level))
                {
                    _w.Error(item.Child("level"), subject, $"level {level} is defined twice");
                    ok = false;
                    continue;
                }

                var name = _w.Scalar(item.Child("name"), subject, required: false) ?? $"level-{level}";
                var zones = new List<string>();
                var zonesOk = DistinctRefs(item.Child("armedZones"), "zone", z => ZoneRef(z, subject), zones);
                var locksDown = _w.Bool(item.Child("breachStartsLockdown"), subject, fallback: false);
                var heldNode = item.Child("heldOpenSeconds");
                var held = heldNode.IsPresent ? _w.Int(heldNode, subject, required: true, 1, 3600) : null;
                var keys = new List<string>();
                var keysOk = DistinctRefs(item.Child("selectKeyswitches"), "keyswitch", n => KeyswitchRef(n, "set a threat level"), keys);
                foreach (var key in keys.Where(k => levels.Any(l => l.SelectKeyswitches.Contains(k, StringComparer.Ordinal))))
                {
                    _w.Error(item.Child("selectKeyswitches"), subject, $"keyswitch '{key}' already sets another level; one key sets one level");
                    keysOk = false;
                }

                if (zonesOk && locksDown is not null && (held is not null || !heldNode.IsPresent) && keysOk)
                {
                    levels.Add(new ThreatLevelDefinition(level, name, zones, locksDown.Value, held is { } h ? TimeSpan.FromSeconds(h) : null, keys));
                }
                else
                {
                    ok = false;
                }
            }

            var initialNode = node.Child("initial");
            var initial = _w.Int(initialNode, null, required: levels.Count > 0, 1, 100, 1);
            if (initial is { } i && ok && levels.Count > 0 && levels.All(l => l.Level != i))
            {
                _w.Error(initialNode, null, $"initial level {i} is not one of the levels defined: {string.Join(", ", levels.Select(l => l.Level))}");
                return null;
            }

            return ok && initial is not null ? (levels.OrderBy(l => l.Level).ToList(), initial.Value) : null;
        }
    }
}
