using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Doors: a lock output, its door contact and request-to-exit points, supervision and egress times.
public static partial class GatewayConfigReader
{
    private static readonly string[] DoorKeys =
        ["id", "lock", "contact", "requestToExit", "heldOpenSeconds", "releaseSeconds", "delayedEgressSeconds", "localAlarm", "relockKeyswitches", "lockMonitor"];

    /// <summary>Default held-open time: long enough to walk a visitor through.</summary>
    public const int DefaultHeldOpenSeconds = 30;

    /// <summary>Default request-to-exit release: the usual access-control unlock time.</summary>
    public const int DefaultReleaseSeconds = 5;

    private sealed partial class Run
    {
        private List<DoorDefinition>? Doors(ConfigNode node, IReadOnlyList<OutputDefinition>? outputs)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            var doors = new List<DoorDefinition>();
            var used = new Dictionary<string, string>(StringComparer.Ordinal); // lock/contact id → door
            var seen = new HashSet<string>(StringComparer.Ordinal); // every door id read, its door's problems or not
            foreach (var item in items)
            {
                if (!_w.Object(item, null, DoorKeys) || Id(item.Child("id"), null, required: true) is not { } id)
                {
                    _doorExits.Add(DoorExit.Unread);
                    continue;
                }

                var subject = $"door '{id}'";
                if (!seen.Add(id))
                {
                    _w.Error(item.Child("id"), subject, $"door id '{id}' is used twice");
                    _doorExits.Add(DoorExit.Unread);
                    continue;
                }

                var lockId = OutputRef(item.Child("lock"), subject, outputs, required: true, "a lock", OutputKind.Lock);
                var contact = PointRef(item.Child("contact"), subject, required: false, "a doorContact", PointKind.DoorContact);
                var monitor = PointRef(item.Child("lockMonitor"), subject, required: false, "a lockMonitor", PointKind.LockMonitor);
                if (monitor is not null)
                {
                    _monitorsNamed.Add(monitor);
                    if (!item.Child("contact").IsPresent)
                    {
                        // Only the contact tells a door left open from a lock that does not hold.
                        _w.Error(item.Child("lockMonitor"), subject,
                            "a lock monitor needs the door's contact: without it every opening longer than the release is a lock fault; add the door's doorContact point as contact, or remove lockMonitor");
                    }
                }

                var rex = new List<string>();
                var rexOk = DistinctRefs(item.Child("requestToExit"), "request-to-exit point",
                    n => PointRef(n, subject, required: true, "a requestToExit", PointKind.RequestToExit), rex);
                var heldOpen = _w.Int(item.Child("heldOpenSeconds"), subject, required: false, 1, 3600, DefaultHeldOpenSeconds);
                var release = _w.Int(item.Child("releaseSeconds"), subject, required: false, 1, 300, DefaultReleaseSeconds);
                var delayedNode = item.Child("delayedEgressSeconds");
                // NFPA 101 7.2.1.6.1: 15 s, extendable to 30 s by the authority having jurisdiction.
                var delayed = delayedNode.IsPresent ? _w.Int(delayedNode, subject, required: true, 15, 30) : null;
                if (delayed is not null && lockId is not null && outputs!.First(o => o.Id == lockId) is { Egress: false } heldLock)
                {
                    _w.Error(delayedNode, subject, DelayedEgressNeedsEgressLock(heldLock));
                }

                // A request-to-exit list with a reported error counts as an exit button: not said twice.
                _doorExits.Add(new DoorExit(lockId, id, ExitButton: rex.Count > 0 || !rexOk, delayedNode.IsPresent));
                var alarmNode = item.Child("localAlarm");
                var localAlarm = alarmNode.IsPresent
                    ? OutputRef(alarmNode, subject, outputs, required: true, "a siren, strobe or indicator", OutputKind.Siren, OutputKind.Strobe, OutputKind.Indicator)
                    : null;
                var relock = new List<string>();
                var relockNode = item.Child("relockKeyswitches");
                var relockOk = DistinctRefs(relockNode, "keyswitch", n => KeyswitchRef(n, "relock a door after delayed egress"), relock);
                if (delayed is not null && !alarmNode.IsPresent)
                {
                    _w.Error(alarmNode, subject, "delayed egress must sound a local alarm at the door while it counts down (NFPA 101); name a siren, strobe or indicator output here");
                }

                if (delayed is not null && relockOk && relock.Count == 0)
                {
                    _w.Error(relockNode, subject, "delayed egress leaves the door released until a person relocks it; name at least one keyswitch point here");
                }
                else if (!delayedNode.IsPresent)
                {
                    foreach (var egressOnly in new[] { alarmNode, relockNode }.Where(n => n.IsPresent))
                    {
                        _w.Error(egressOnly, subject, $"{egressOnly.Key} applies only to a door with delayedEgressSeconds; add it or remove this key");
                    }
                }

                foreach (var (refNode, refId) in new[] { (item.Child("lock"), lockId), (item.Child("contact"), contact), (item.Child("lockMonitor"), monitor) })
                {
                    if (refId is not null && !used.TryAdd(refId, id))
                    {
                        _w.Error(refNode, subject, $"'{refId}' already belongs to door '{used[refId]}'; a lock, contact or lock monitor serves one door");
                    }
                }

                if (lockId is not null && rexOk && heldOpen is not null && release is not null)
                {
                    doors.Add(new DoorDefinition(id, lockId, contact, rex, TimeSpan.FromSeconds(heldOpen.Value), TimeSpan.FromSeconds(release.Value),
                        delayed is { } d ? TimeSpan.FromSeconds(d) : null, localAlarm, relock) { LockMonitor = monitor });
                }
            }

            return doors;
        }

        /// <summary>
        /// Reports every lockMonitor point no door names: it says whether a lock holds, and only a
        /// door says which lock, so it would be read and never judged. Not when a door could not be
        /// read (it may have named it).
        /// </summary>
        private void LockMonitorsWithoutDoor(bool doorsPresent)
        {
            if ((doorsPresent && _doorExits.Any(d => d.LockId is null)) || !_pointsKnown)
            {
                return;
            }

            foreach (var (id, kind) in _pointKinds)
            {
                if (kind == PointKind.LockMonitor && !_monitorsNamed.Contains(id) && _ids.TryGetValue(id, out var declared))
                {
                    _w.Error(declared.Path, $"point '{id}'",
                        "a lockMonitor point says whether a door's lock holds, but no door names it, so it would never be judged; "
                        + "name it as the lockMonitor of the door whose lock it watches (doors[].lockMonitor), or remove it");
                }
            }
        }

        /// <summary>
        /// Why delayed egress on a lock not marked <c>egress</c> is refused. Delayed egress is an exit
        /// feature (NFPA 101 7.2.1.6.1): its lock must release on a fire alarm and on power loss. The
        /// controller releases only egress locks in a fire, and in a lockdown it ignores the exit
        /// button of any other lock, so people at such a door would be trapped in a fire during a
        /// lockdown. An egress lock that is fail-secure is refused at the output already (its error
        /// says failSafe), so only <c>egress: false</c> is reported here, naming the fail mode too.
        /// </summary>
        private static string DelayedEgressNeedsEgressLock(OutputDefinition heldLock)
        {
            var failSecure = heldLock.FailMode == LockFailMode.FailSecure;
            var what = failSecure ? "a failSecure lock not marked egress" : "not marked egress";
            var fix = failSecure ? "set egress to true and failMode to failSafe" : "set egress to true";
            // The subject already names the door; the output is named here, where the fix goes.
            return $"delayed egress is an exit, whose lock must release on a fire alarm and on power loss (NFPA 101 7.2.1.6.1), "
                + $"but this door's lock, output '{heldLock.Id}', is {what}: a fire never releases it and a lockdown ignores "
                + $"its exit button, so people at this door would be trapped; on output '{heldLock.Id}' {fix}, "
                + "or remove delayedEgressSeconds";
        }

        /// <summary>A reference to a point of one kind; null (after reporting why) when it is not one.</summary>
        private string? PointRef(ConfigNode node, string subject, bool required, string noun, params PointKind[] kinds)
        {
            var id = _w.Scalar(node, subject, required, $" (the id of {noun} point)");
            if (id is null || !_pointsKnown)
            {
                return null;
            }

            if (!_pointKinds.TryGetValue(id, out var actual))
            {
                var candidates = _pointKinds.Where(p => p.Value is { } k && kinds.Contains(k)).Select(p => p.Key).ToList();
                _w.Error(node, subject, $"no point '{id}' is defined{ConfigWalker.SuggestionHint(id, candidates)}; {noun} points: {(candidates.Count == 0 ? "none" : string.Join(", ", candidates))}");
                return null;
            }

            if (actual is { } k && !kinds.Contains(k))
            {
                _w.Error(node, subject, $"point '{id}' is a {Name(PointKinds, k)}, not {noun} point");
                return null;
            }

            return actual is null ? null : id;
        }

        /// <summary>A reference to an output of one of <paramref name="kinds"/>; null (after reporting why) otherwise.</summary>
        private string? OutputRef(ConfigNode node, string subject, IReadOnlyList<OutputDefinition>? outputs, bool required, string noun, params OutputKind[] kinds)
        {
            var id = _w.Scalar(node, subject, required, $" (the id of {noun} output)");
            if (id is null || outputs is null)
            {
                return null;
            }

            if (outputs.FirstOrDefault(o => o.Id == id) is not { } output)
            {
                if (_ids.TryGetValue(id, out var declared))
                {
                    if (!declared.Description.StartsWith("output", StringComparison.Ordinal))
                    {
                        _w.Error(node, subject, $"'{id}' is {declared.Description}, not {noun} output");
                    }

                    return null; // a broken output's own error says why
                }

                var candidates = outputs.Where(o => kinds.Contains(o.Kind)).Select(o => o.Id).ToList();
                _w.Error(node, subject, $"no output '{id}' is defined{ConfigWalker.SuggestionHint(id, candidates)}; {noun} outputs: {(candidates.Count == 0 ? "none" : string.Join(", ", candidates))}");
                return null;
            }

            if (!kinds.Contains(output.Kind))
            {
                _w.Error(node, subject, $"output '{id}' is a {Name(OutputKinds, output.Kind)}, not {noun}");
                return null;
            }

            return id;
        }
    }
}
