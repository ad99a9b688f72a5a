using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Threat levels: what each level arms and changes, which level a gateway starts at, and the
// keyswitches that set a level locally.
public static partial class GatewayConfigReader
{
    private static readonly string[] ThreatKeys = ["initial", "timeZone", "levels"];
    private static readonly string[] ThreatLevelKeys = ["level", "name", "armedZones", "breachStartsLockdown", "heldOpenSeconds", "selectKeyswitches", "schedule"];
    private static readonly string[] WindowKeys = ["zones", "days", "from", "to"];

    private static readonly (string, DayOfWeek)[] Days =
    [
        ("mon", DayOfWeek.Monday), ("tue", DayOfWeek.Tuesday), ("wed", DayOfWeek.Wednesday), ("thu", DayOfWeek.Thursday),
        ("fri", DayOfWeek.Friday), ("sat", DayOfWeek.Saturday), ("sun", DayOfWeek.Sunday),
    ];

    private sealed partial class Run
    {
        /// <summary>
        /// Level number → its item, for the checks that report at its keys after the levels are sorted
        /// by number: an index into the sorted list named another item where the file lists them out of order.
        /// </summary>
        private readonly Dictionary<int, ConfigNode> _threatLevelItems = [];

        /// <summary>The levels (empty when not configured), the initial level and the site's time zone; null when broken.</summary>
        private (List<ThreatLevelDefinition> Levels, int Initial, TimeZoneInfo TimeZone)? ThreatLevels(ConfigNode node)
        {
            if (!node.IsPresent)
            {
                return ([], 1, TimeZoneInfo.Utc);
            }

            if (!_w.Object(node, null, ThreatKeys))
            {
                return null;
            }

            // Every level read whatever another's problems, and the initial level and time zone whatever the
            // levels' (review of 2026-12-06: a broken list hid them, a bad level number hid the rest of its keys,
            // and a level or a key repeated was compared only with levels read without a problem).
            var items = _w.List(node.Child("levels"), null);
            var ok = items is not null;
            var levels = new List<ThreatLevelDefinition>();
            var seenLevels = new HashSet<int>();
            var keyLevel = new Dictionary<string, string>(StringComparer.Ordinal); // keyswitch → the level it sets
            foreach (var item in items ?? [])
            {
                if (!_w.Object(item, null, ThreatLevelKeys))
                {
                    ok = false;
                    continue;
                }

                var level = _w.Int(item.Child("level"), null, required: true, 1, 100);
                var subject = level is { } l ? $"threat level {l}" : $"the threat level at {item.Key}";
                if (level is { } repeated && !seenLevels.Add(repeated))
                {
                    _w.Error(item.Child("level"), subject, $"level {repeated} is defined twice");
                    level = null;
                }

                var name = _w.Scalar(item.Child("name"), subject, required: false) ?? $"level-{level}";
                var zones = new List<string>();
                var zonesOk = DistinctRefs(item.Child("armedZones"), "zone", z => ZoneRef(z, subject), zones);
                var locksDown = _w.Bool(item.Child("breachStartsLockdown"), subject, fallback: false);
                var heldNode = item.Child("heldOpenSeconds");
                var held = heldNode.IsPresent ? _w.Int(heldNode, subject, required: true, 1, 3600) : null;
                var schedule = Schedule(item.Child("schedule"), subject);
                var keys = new List<string>();
                var keysOk = DistinctRefs(item.Child("selectKeyswitches"), "keyswitch", n => KeyswitchRef(n, "set a threat level"), keys);
                foreach (var key in keys)
                {
                    if (!keyLevel.TryAdd(key, subject))
                    {
                        _w.Error(item.Child("selectKeyswitches"), subject, $"keyswitch '{key}' already sets another level ({keyLevel[key]}); one key sets one level");
                        keysOk = false;
                    }
                }

                if (level is not null && zonesOk && locksDown is not null && (held is not null || !heldNode.IsPresent) && keysOk && schedule is not null)
                {
                    levels.Add(new ThreatLevelDefinition(level.Value, name, zones, locksDown.Value, held is { } h ? TimeSpan.FromSeconds(h) : null, keys)
                    {
                        Schedule = schedule,
                    });
                    _threatLevelItems[level.Value] = item;
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
                initial = null;
            }

            // Read whatever came before: its problems are listed with the others.
            var zone = TimeZone(node.Child("timeZone"));
            return ok && initial is not null && zone is not null ? (levels.OrderBy(l => l.Level).ToList(), initial.Value, zone) : null;
        }

        /// <summary>
        /// A key that sets a threat level does only that: raising the level during a lockdown must
        /// not also end (or start) a scenario with the same turn.
        /// </summary>
        private void CheckThreatKeys(List<ThreatLevelDefinition>? levels, LockdownPolicy? lockdown, List<string> lockdownDrill, List<ScenarioDefinition>? scenarios)
        {
            if (levels is null || lockdown is null || scenarios is null)
            {
                return;
            }

            var scenarioKeys = lockdown.ClearKeyswitches.Concat(lockdownDrill)
                .Concat(scenarios.SelectMany(s => s.Triggers.Concat(s.DrillTriggers).Concat(s.Releasers)))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var level in levels)
            {
                foreach (var key in level.SelectKeyswitches.Where(scenarioKeys.Contains))
                {
                    _w.Error(_threatLevelItems[level.Level].Child("selectKeyswitches"), $"threat level {level.Level}",
                        $"'{key}' also starts or ends a scenario; a key that sets a threat level must do only that");
                }
            }
        }

        /// <summary>An IANA time zone id (the tz database on the gateway), UTC when absent.</summary>
        private TimeZoneInfo? TimeZone(ConfigNode node)
        {
            var id = _w.Scalar(node, null, required: false);
            if (id is null)
            {
                return TimeZoneInfo.Utc;
            }

            if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
            {
                return zone;
            }

            _w.Error(node, null, $"time zone '{id}' is not known on this system; use an IANA id such as 'Europe/Berlin' or 'Africa/Nairobi' (the tzdata package provides them)");
            return null;
        }

        /// <summary>Weekly arming windows; null when any is broken (each problem reported).</summary>
        private List<ArmingWindow>? Schedule(ConfigNode node, string subject)
        {
            var items = _w.List(node, subject);
            if (items is null)
            {
                return null;
            }

            var windows = new List<ArmingWindow>();
            var ok = true;
            foreach (var item in items)
            {
                if (!_w.Object(item, subject, WindowKeys))
                {
                    ok = false;
                    continue;
                }

                var zones = new List<string>();
                var zonesOk = DistinctRefs(item.Child("zones"), "zone", z => ZoneRef(z, subject), zones);
                if (zonesOk && zones.Count == 0)
                {
                    // Elsewhere (a lockdown's, a scenario's zones) none listed means every zone; a window arms only
                    // what it lists, so one without zones validated and never armed anything.
                    _w.Error(item.Child("zones"), subject, "name at least one zone this window arms; a window with no zones arms nothing");
                    zonesOk = false;
                }
                var days = new List<DayOfWeek>();
                var daysNode = item.Child("days");
                // Every day read, so each misspelt one is listed (All stopped at the first).
                var daysOk = _w.List(daysNode, subject) is { } dayItems
                    && dayItems.Select(d => _w.Enum(d, subject, required: true, Days) is { } day && AddDay(days, day)).ToList().TrueForAll(read => read);
                if (daysOk && days.Count == 0)
                {
                    // No days listed: every day, the usual "nights" schedule.
                    days.AddRange(Days.Select(d => d.Item2));
                }

                var from = Time(item.Child("from"), subject);
                var to = Time(item.Child("to"), subject);
                if (from is { } f && to is { } t && f == t)
                {
                    _w.Error(item.Child("to"), subject, $"the window opens and closes at {f.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)}; use armedZones for zones armed all day");
                    ok = false;
                }
                else if (zonesOk && daysOk && from is not null && to is not null)
                {
                    windows.Add(new ArmingWindow(zones, days, from.Value, to.Value));
                }
                else
                {
                    ok = false;
                }
            }

            return ok ? windows : null;
        }

        private static bool AddDay(List<DayOfWeek> days, DayOfWeek day)
        {
            if (!days.Contains(day))
            {
                days.Add(day);
            }

            return true;
        }

        /// <summary>A local time of day written <c>HH:mm</c>.</summary>
        private TimeOnly? Time(ConfigNode node, string subject)
        {
            var text = _w.Scalar(node, subject, required: true, " (a local time such as 18:30)");
            if (text is null)
            {
                return null;
            }

            if (TimeOnly.TryParseExact(text, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
            {
                return time;
            }

            _w.Error(node, subject, $"'{text}' is not a time of day written HH:mm (00:00 to 23:59)");
            return null;
        }
    }
}
