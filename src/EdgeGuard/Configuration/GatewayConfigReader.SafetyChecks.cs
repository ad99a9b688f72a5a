using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Whole-site checks that each section alone cannot make: a response that locks must have a lock to
// lock, a lockdown started on site must be clearable on site, and a fire input must have an egress
// lock to release. Each one is a config that validates and then does nothing when it matters.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>
        /// Runs the whole-site checks once every section they need was read. Skipped for a section
        /// that failed; <paramref name="outputs"/> (those read without a problem) is null when the list
        /// itself was. An output item with an error skips only the checks it could be the missing part
        /// of: a lock that was misspelt, or whose <c>egress</c> key was, is not also reported as missing,
        /// but a mistyped indicator no longer hides a fire input that releases no lock.
        /// </summary>
        private void SiteSafety(ConfigNode root, IReadOnlyList<PointDefinition>? points, IReadOnlyList<OutputDefinition>? outputs,
            LockdownPolicy? lockdown, IReadOnlyList<string> lockdownDrillTriggers, IReadOnlyList<ScenarioDefinition>? scenarios,
            IReadOnlyList<ThreatLevelDefinition>? threatLevels)
        {
            // A point dropped after its error still counts as a start or a fire input by its kind
            // (_brokenPoints), so the site's problems come with its own; a dropped output could be
            // the lock looked for.
            if (points is null)
            {
                return;
            }

            // The checks look only at locks, sirens and strobes: a broken item of another kind changes none
            // of them; one whose kind could not be read could be any.
            var locksKnown = outputs is not null && !_brokenOutputKinds.Any(k => k is null or OutputKind.Lock);
            var alarmsKnown = outputs is not null && !_brokenOutputKinds.Any(k => k is null or OutputKind.Siren or OutputKind.Strobe);
            var read = outputs ?? [];
            var allScenarios = scenarios ?? [];
            var locks = read.Where(o => o.Kind == OutputKind.Lock).ToList();
            // A broken threat section is reported there; its breaches are then not counted as starts.
            // Buttons an outranking scenario lists start that one, not the built-in lockdown.
            var panics = lockdown is null ? [] : PanicNamesStartingLockdown(points, allScenarios);
            var starts = lockdown is null ? [] : LocalLockdownStarts(panics, lockdownDrillTriggers, threatLevels ?? []);
            if (lockdown is not null && starts.Length > 0)
            {
                // A lockdown that locks nothing is reported once, not again for every button or siren.
                // With a lock unread that is not known, and the siren check stands on its own.
                var locksSomething = !locksKnown || LockdownLocksSomething(root, locks, lockdown, starts);
                if (locksSomething && locksKnown && alarmsKnown)
                {
                    LockdownCoversPanicZones(root, points, read, lockdown, allScenarios);
                }

                if (locksSomething && alarmsKnown)
                {
                    LockdownSoundsSomewhere(root, read, lockdown, starts, panics);
                }

                // Needs no output: a misspelt siren's activeLevel hid it until the next validate.
                LockdownClearsOnSite(root, lockdown, starts);
            }

            foreach (var scenario in allScenarios.Where(s => s.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace))
            {
                if (locksKnown)
                {
                    ScenarioLocksSomething(root, locks, scenario);
                }

                // What a press leaves undone where it was pressed: its locks, and its sirens and strobes.
                if (locksKnown && alarmsKnown)
                {
                    PanicTriggersCoverTheirZone(points, read, scenario);
                }

                if (alarmsKnown)
                {
                    ScenarioSoundsSomewhere(points, read, scenario, allScenarios);
                }
            }

            if (locksKnown)
            {
                FireReleasesSomething(root, points, locks);
            }
        }

        /// <summary>
        /// What on site starts the built-in lockdown: panic buttons (<paramref name="panics"/>, from
        /// <see cref="PanicNamesStartingLockdown"/>), its drill keyswitches, and threat levels whose
        /// breach starts it. Empty for a gateway that only watches (doors, fence) and is locked down,
        /// if ever, by the office: such a site is legitimate, and the office that started its
        /// lockdown can also end it.
        /// </summary>
        private static string[] LocalLockdownStarts(IReadOnlyList<string> panics, IReadOnlyList<string> drillTriggers,
            IReadOnlyList<ThreatLevelDefinition> threatLevels)
        {
            var buttons = panics.Select(id => $"panic button '{id}'");
            var drills = drillTriggers.Select(k => $"drill keyswitch '{k}'");
            var breaches = threatLevels.Where(l => l.BreachStartsLockdown)
                .Select(l => $"a breach at threat level {l.Level.ToString(CultureInfo.InvariantCulture)}");
            return [.. buttons.Concat(drills).Concat(breaches)];
        }

        /// <summary>
        /// The built-in lockdown must cover at least one lock: otherwise every panic press sounds the
        /// siren and reports a lockdown while every door stays as it was. False when refused.
        /// </summary>
        private bool LockdownLocksSomething(ConfigNode root, List<OutputDefinition> locks, LockdownPolicy lockdown, string[] starts)
        {
            if (locks.Any(l => lockdown.Covers(l.Zone)))
            {
                return true;
            }

            var startedBy = StartedBy(starts);
            if (locks.Count == 0)
            {
                _w.Error(root.Child("outputs"), null,
                    $"there is no lock output, so the lockdown (started by {startedBy}) would lock nothing; "
                    + "add the lock of every door a lockdown must secure (kind 'lock')");
                return false;
            }

            _w.Error(root.Child("lockdown").Child("zones"), null,
                $"the lockdown covers zones {string.Join(", ", lockdown.ScopeZones)}, where there is no lock output, so the lockdown "
                + $"(started by {startedBy}) would lock nothing; add the zones of the locks it must lock ({ZonesOfLocks(locks)}), "
                + "or leave zones empty to lock every zone");
            return false;
        }

        /// <summary>
        /// A panic button that is not silent starts the built-in lockdown unless a scenario ranked
        /// over it lists the button (that scenario's zones are then checked instead, at its trigger),
        /// so its zones must include the zone of each button whose press starts it, where that zone
        /// has a lock, a siren or a strobe: otherwise a press locks doors elsewhere and none near
        /// the person who pressed, or sounds nothing there (<see cref="PressLeavesUndone"/>). One
        /// error per button, so all are listed.
        /// </summary>
        private void LockdownCoversPanicZones(ConfigNode root, IReadOnlyList<PointDefinition> points, IReadOnlyList<OutputDefinition> outputs,
            LockdownPolicy lockdown, IReadOnlyList<ScenarioDefinition> scenarios)
        {
            foreach (var panic in PanicsStartingLockdown(points, scenarios).Where(p => !lockdown.Covers(p.Zone)))
            {
                if (PressLeavesUndone(outputs, panic.Zone) is not { } undone)
                {
                    continue;
                }

                _w.Error(root.Child("lockdown").Child("zones"), null,
                    $"panic button '{panic.Id}' is in zone '{panic.Zone}', where there is {undone.There}, but the "
                    + $"built-in lockdown its press starts covers only {string.Join(", ", lockdown.ScopeZones)}, so a press would "
                    + $"{undone.What}; add zone '{panic.Zone}' to lockdown.zones, or leave its zones empty to cover every zone");
            }
        }

        /// <summary>
        /// The built-in lockdown sounds only the sirens and strobes in its zones: zones that hold
        /// none of the site's would make every start (a guard's panic press) silent everywhere,
        /// though the site has a siren. A site with none at all is another choice, left to it. Only
        /// what really starts it counts (<paramref name="starts"/>): a button whose press starts a
        /// scenario ranked over it does not, and where no button, drill or breach does, only the
        /// office starts it. <paramref name="panics"/> are the buttons among the starts.
        /// </summary>
        private void LockdownSoundsSomewhere(ConfigNode root, IReadOnlyList<OutputDefinition> outputs, LockdownPolicy lockdown,
            string[] starts, IReadOnlyList<string> panics)
        {
            var alarms = outputs.Where(o => o.Kind is OutputKind.Siren or OutputKind.Strobe).ToList();
            if (alarms.Count == 0 || alarms.Any(o => lockdown.Covers(o.Zone)))
            {
                return;
            }

            _w.Error(root.Child("lockdown").Child("zones"), null,
                $"the lockdown covers zones {string.Join(", ", lockdown.ScopeZones)}, where there is no siren or strobe, so the lockdown "
                + $"(started by {StartedBy(starts)}) would sound nothing anywhere on site; add the zone of a siren or strobe "
                + $"({AlarmsText(alarms)}) to lockdown.zones, or leave zones empty to cover every zone{QuietWayOut(panics)}");
        }

        /// <summary>
        /// A lockdown scenario, like the built-in one, sounds only the sirens and strobes in its
        /// zones: one that a panic button's press starts and whose zones hold none of the site's
        /// makes that press silent everywhere, though the site has a siren. A shelter in place is
        /// silent by design, and a keyswitch is turned by someone who chose the scenario.
        /// </summary>
        private void ScenarioSoundsSomewhere(IReadOnlyList<PointDefinition> points, IReadOnlyList<OutputDefinition> outputs,
            ScenarioDefinition scenario, IReadOnlyList<ScenarioDefinition> scenarios)
        {
            var alarms = outputs.Where(o => o.Kind is OutputKind.Siren or OutputKind.Strobe).ToList();
            if (scenario.Mode != SiteMode.Lockdown || alarms.Count == 0 || alarms.Any(o => scenario.Covers(o.Zone))
                || !_scenarioItems.TryGetValue(scenario.Id, out var item))
            {
                return;
            }

            // Silent buttons are refused as triggers (GatewayConfigReader.Scenarios.cs); a button a
            // higher-ranked scenario also lists starts that one instead.
            var panics = scenario.Triggers
                .Where(id => points.Any(p => p.Id == id && p.Kind == PointKind.PanicButton && !p.Silent)
                    && scenario.Rank > ScenarioDefinition.LockdownRank
                    && !scenarios.Any(s => s.Rank > scenario.Rank && s.Triggers.Contains(id)))
                .ToList();
            // A button in a siren's or strobe's zone was already reported at its trigger (its press
            // sounds none where it was pressed), and that fix, its zone added, fixes this too.
            var alarmZones = alarms.Select(o => o.Zone).ToHashSet(StringComparer.Ordinal);
            if (panics.Count == 0 || points.Any(p => panics.Contains(p.Id) && alarmZones.Contains(p.Zone)))
            {
                return;
            }

            _w.Error(item.Child("zones"), $"scenario '{scenario.Id}'",
                $"a lockdown scenario sounds only the sirens and strobes in its zones, and its zones ({string.Join(", ", scenario.Zones)}) "
                + $"hold none, so it (started by {StartedBy([.. panics.Select(id => $"panic button '{id}'")])}) would sound nothing "
                + $"anywhere on site; add the zone of a siren or strobe ({AlarmsText(alarms)}) to its zones, or leave its zones "
                + $"empty to cover every zone{QuietWayOut(panics, panics.Count == 1 ? " and remove it from the triggers" : " and remove them from the triggers")}");
        }

        /// <summary>
        /// The panic buttons whose press starts the built-in lockdown: not silent, and listed by no
        /// scenario ranked over it (ranks are unique; SiteDefinition.ScenarioTriggeredBy).
        /// </summary>
        private static IEnumerable<PointDefinition> PanicsStartingLockdown(IReadOnlyList<PointDefinition> points,
            IReadOnlyList<ScenarioDefinition> scenarios) =>
            points.Where(p => p.Kind == PointKind.PanicButton && !p.Silent && !StartsAScenarioInstead(p.Id, scenarios));

        /// <summary>
        /// The names of the buttons whose press starts the built-in lockdown, those left out after an
        /// error included: a broken button counts only when its <c>silent</c> was read as false, since
        /// one unread could be a silent hold-up, which starts nothing.
        /// </summary>
        private string[] PanicNamesStartingLockdown(IReadOnlyList<PointDefinition> points, IReadOnlyList<ScenarioDefinition> scenarios) =>
            [.. PanicsStartingLockdown(points, scenarios).Select(p => p.Id)
                .Concat(_brokenPoints.Where(p => p.Kind == PointKind.PanicButton && p.Silent == false && !StartsAScenarioInstead(p.Name, scenarios))
                    .Select(p => p.Name))
                .Distinct(StringComparer.Ordinal)];

        private static bool StartsAScenarioInstead(string id, IReadOnlyList<ScenarioDefinition> scenarios) =>
            scenarios.Any(s => s.Rank > ScenarioDefinition.LockdownRank && s.Triggers.Contains(id));

        /// <summary>Every fire input, those left out after an error included (they release egress all the same).</summary>
        private List<string> FireInputs(IReadOnlyList<PointDefinition> points) =>
            [.. points.Where(p => p.Kind == PointKind.FireAlarm).Select(p => p.Id)
                .Concat(_brokenPoints.Where(p => p.Kind == PointKind.FireAlarm).Select(p => p.Name))
                .Distinct(StringComparer.Ordinal)];

        // The other way out for a site that means the press to be quiet: a silent hold-up only
        // reports to the office, so it starts nothing, neither locks nor sounds.
        private static string QuietWayOut(IReadOnlyList<string> panics, string also = "") => panics.Count == 0
            ? string.Empty
            : $"; or, for a deliberately quiet alarm, set \"silent\": true on panic button{(panics.Count == 1 ? "" : "s")} "
              + $"{string.Join(", ", panics.Select(id => $"'{id}'"))}{also} (a silent hold-up only reports to the office: its press "
              + "then locks nothing and sounds nothing)";

        private static string AlarmsText(List<OutputDefinition> alarms) => string.Join(", ", alarms.Select(o => $"{o.Id} in {o.Zone}"));

        /// <summary>
        /// What a press would leave undone in <paramref name="zone"/> if what it starts leaves the
        /// zone out: its locks stay unlocked, and its sirens and strobes silent (a scenario sounds
        /// only those in its zones). Null when the zone has none of them: a button there (a guard
        /// room whose siren is elsewhere) leaves nothing undone where it was pressed.
        /// </summary>
        private static (string There, string What)? PressLeavesUndone(IReadOnlyList<OutputDefinition> outputs, string zone)
        {
            var here = outputs.Where(o => o.Zone == zone).ToList();
            var near = here.Where(o => o.Kind == OutputKind.Lock).Select(o => o.Id).ToList();
            var alarms = here.Where(o => o.Kind is OutputKind.Siren or OutputKind.Strobe).Select(o => o.Id).ToList();
            if (near.Count == 0 && alarms.Count == 0)
            {
                return null;
            }

            var there = string.Join(" and ", new[]
            {
                near.Count == 0 ? null : $"a lock ({string.Join(", ", near)})",
                alarms.Count == 0 ? null : $"a siren or strobe ({string.Join(", ", alarms)})",
            }.OfType<string>());
            var what = near.Count == 0 ? "sound none of the sirens or strobes where it was pressed"
                : alarms.Count == 0 ? "leave the doors where it was pressed unlocked"
                : "leave the doors where it was pressed unlocked and sound none of the sirens or strobes there";
            return (there, what);
        }

        /// <summary>
        /// A lockdown started on site must be clearable on site: scenarios need a releaser for the
        /// same reason. Without a clear keyswitch only the office's two-supervisor all-clear ends
        /// it, and with the office link down (cut, jammed, broker gone) the site stays locked down.
        /// </summary>
        private void LockdownClearsOnSite(ConfigNode root, LockdownPolicy lockdown, string[] starts)
        {
            if (lockdown.ClearKeyswitches.Count > 0)
            {
                return;
            }

            _w.Error(root.Child("lockdown").Child("clearKeyswitches"), null,
                $"name at least one keyswitch point that may clear a lockdown: it is started on site (by {StartedBy(starts)}), and without "
                + "a clear keyswitch only the office can end it, so with the office link down the site would stay locked down");
        }

        /// <summary>A scenario that locks (lockdown, shelter in place) must cover at least one lock.</summary>
        private void ScenarioLocksSomething(ConfigNode root, List<OutputDefinition> locks, ScenarioDefinition scenario)
        {
            if (locks.Any(l => scenario.Covers(l.Zone)) || !_scenarioItems.TryGetValue(scenario.Id, out var item))
            {
                return;
            }

            var mode = Name(ScenarioModes, scenario.Mode);
            var where = scenario.Zones.Count == 0
                ? "there is no lock output on this site"
                : $"its zones ({string.Join(", ", scenario.Zones)}) have no lock output";
            var fix = locks.Count == 0
                ? "add the lock of every door it must secure (kind 'lock')"
                : $"add the zones of the locks it must lock ({ZonesOfLocks(locks)}), or leave zones empty to lock every zone";
            _w.Error(item.Child("zones"), $"scenario '{scenario.Id}'",
                $"a {mode} scenario locks the doors in its zones, but {where}, so it would lock nothing; {fix}");
        }

        /// <summary>
        /// A panic button's press starts the highest-ranked scenario listing it instead of the
        /// built-in lockdown; a scenario that leaves out the button's own zone would lock none of
        /// the doors near the person who pressed, nor sound the siren or strobe there (a scenario
        /// sounds only those in its zones). Only where that zone has a lock, a siren or a strobe: a
        /// button in a zone with none (a guard room whose siren is elsewhere) leaves nothing undone
        /// there. One error per button and scenario, at the trigger, so every one is listed.
        /// </summary>
        private void PanicTriggersCoverTheirZone(IReadOnlyList<PointDefinition> points, IReadOnlyList<OutputDefinition> outputs,
            ScenarioDefinition scenario)
        {
            if (!_scenarioItems.TryGetValue(scenario.Id, out var item))
            {
                return;
            }

            for (var i = 0; i < scenario.Triggers.Count; i++)
            {
                var id = scenario.Triggers[i];
                if (points.FirstOrDefault(p => p.Id == id) is not { Kind: PointKind.PanicButton } panic || scenario.Covers(panic.Zone))
                {
                    continue;
                }

                if (PressLeavesUndone(outputs, panic.Zone) is not { } undone)
                {
                    continue;
                }

                var mode = Name(ScenarioModes, scenario.Mode);
                _w.Error(item.Child("triggers").Child(i.ToString(CultureInfo.InvariantCulture)), $"scenario '{scenario.Id}'",
                    $"panic button '{id}' is in zone '{panic.Zone}', where there is {undone.There}, but this {mode} scenario covers only "
                    + $"{string.Join(", ", scenario.Zones)}, so a press would {undone.What}; add zone '{panic.Zone}' to its zones, "
                    + "leave its zones empty to cover every zone, or remove the button from its triggers (every panic button "
                    + "already starts the built-in lockdown)");
            }
        }

        /// <summary>
        /// A fire input releases every egress lock; with none marked egress it releases nothing, and
        /// the escape doors stay as the mode holds them (locked in a lockdown) during a fire.
        /// </summary>
        private void FireReleasesSomething(ConfigNode root, IReadOnlyList<PointDefinition> points, List<OutputDefinition> locks)
        {
            var fireInputs = FireInputs(points);
            if (fireInputs.Count == 0 || locks.Any(l => l.Egress))
            {
                return;
            }

            var locksText = locks.Count == 0 ? "there is no lock output" : $"none of the locks ({string.Join(", ", locks.Select(l => l.Id))}) is marked egress";
            _w.Error(root.Child("outputs"), null,
                $"fire inputs ({string.Join(", ", fireInputs)}) release every egress lock, but {locksText}, so a fire would open no door; "
                + "set egress to true on the lock of every door on an escape route (failSafe, with an exit button or hardwiredExit)");
        }

        private static string StartedBy(string[] starts) =>
            starts.Length <= 3 ? string.Join(", ", starts) : $"{string.Join(", ", starts.Take(3))} and {starts.Length - 3} more";

        private static string ZonesOfLocks(List<OutputDefinition> locks) =>
            string.Join(", ", locks.Select(l => $"{l.Id} in {l.Zone}"));
    }
}
