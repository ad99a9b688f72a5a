using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Outputs: the keys shared with points, then the lock-only keys, which are checked against the kind.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        private List<OutputDefinition>? Outputs(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            _outputItems = items.Count;
            var outputs = new List<OutputDefinition>();
            foreach (var item in items)
            {
                if (Device(item, "output", "an output without an id", OutputKeys, OutputKinds, input: false) is not { } device)
                {
                    continue;
                }

                var (subject, id, kind, line, activeHigh) = device;
                var zone = ZoneRef(item.Child("zone"), subject);

                var failModeNode = item.Child("failMode");
                var egressNode = item.Child("egress");
                var normallyLockedNode = item.Child("normallyLocked");
                LockFailMode? failMode = LockFailMode.FailSafe;
                bool? egress = false;
                bool? normallyLocked = false;
                if (kind is OutputKind.Lock)
                {
                    failMode = _w.Enum(failModeNode, subject, required: true, FailModes);
                    egress = _w.Bool(egressNode, subject, fallback: false);
                    normallyLocked = _w.Bool(normallyLockedNode, subject, fallback: false);
                    if (egress == true && failMode == LockFailMode.FailSecure)
                    {
                        _w.Error(failModeNode, subject,
                            "an egress lock must not be failSecure: a door on an escape route must release when power is lost "
                            + "(fire, power cut, cut cable) so people can get out; use a failSafe lock (e.g. a maglock), "
                            + "or set egress to false if this door is not an escape route");
                    }
                }
                else if (kind is { } other)
                {
                    var noun = Name(OutputKinds, other);
                    foreach (var lockOnly in new[] { failModeNode, egressNode, normallyLockedNode })
                    {
                        if (lockOnly.IsPresent)
                        {
                            _w.Error(lockOnly, subject, $"{lockOnly.Key} applies only to locks, and this output is a {noun}; remove it");
                        }
                    }
                }
                else
                {
                    // Kind is missing or invalid (already reported): still check the values themselves.
                    _w.Enum(failModeNode, subject, required: false, FailModes);
                    _w.Bool(egressNode, subject, fallback: false);
                    _w.Bool(normallyLockedNode, subject, fallback: false);
                }

                if (id is not null && kind is not null && line is not null && activeHigh is not null && zone is not null
                    && failMode is not null && egress is not null && normallyLocked is not null)
                {
                    outputs.Add(new OutputDefinition(id, kind.Value, line.Value, activeHigh.Value, zone,
                        failMode.Value, egress.Value, normallyLocked.Value));
                }
            }

            return outputs;
        }
    }
}
