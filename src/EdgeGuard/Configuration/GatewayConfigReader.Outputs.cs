using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Outputs: the keys shared with points, then the lock-only keys, which are checked against the kind.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>
        /// The kind of each output item that had an error, as read (null: unknown, the item could be any
        /// kind): the whole-site checks skip only what such an item could be the missing part of.
        /// </summary>
        private readonly List<OutputKind?> _brokenOutputKinds = [];

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
                var (errorsBefore, readBefore) = (_w.ErrorCount, outputs.Count);
                var kind = OutputItem(item, outputs);
                // Left out counts as broken even without an error of its own: a pin of a misspelt ioBoard
                // is reported once, at ioBoard.
                if (_w.ErrorCount > errorsBefore || outputs.Count == readBefore)
                {
                    _brokenOutputKinds.Add(kind);
                }
            }

            return outputs;
        }

        /// <summary>Reads one output item into <paramref name="outputs"/> (unless broken); its kind as read, null when unknown.</summary>
        private OutputKind? OutputItem(ConfigNode item, List<OutputDefinition> outputs)
        {
            if (Device(item, "output", "an output without an id", OutputKeys, OutputKinds, input: false) is not { } device)
            {
                return null;
            }

            var (subject, id, kind, line, activeHigh) = device;
            var zone = ZoneRef(item.Child("zone"), subject);

            var failModeNode = item.Child("failMode");
            var egressNode = item.Child("egress");
            var normallyLockedNode = item.Child("normallyLocked");
            var hardwiredExitNode = item.Child("hardwiredExit");
            LockFailMode? failMode = LockFailMode.FailSafe;
            bool? egress = false;
            bool? normallyLocked = false;
            bool? hardwiredExit = false;
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

                hardwiredExit = HardwiredExit(hardwiredExitNode, subject, egress);
            }
            else if (kind is { } other)
            {
                var noun = Name(OutputKinds, other);
                foreach (var lockOnly in new[] { failModeNode, egressNode, normallyLockedNode, hardwiredExitNode })
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
                _w.Bool(hardwiredExitNode, subject, fallback: false);
            }

            if (kind is { } k && line is >= 0 and var native && activeHigh is { } high && failMode is { } mode && egress is { } escape
                && BootLevelConflict(k, mode, escape, native, high) is { } conflict)
            {
                _w.Error(item.Child("line"), subject, conflict);
            }

            if (id is not null && kind is not null && line is not null && activeHigh is not null && zone is not null
                && failMode is not null && egress is not null && normallyLocked is not null)
            {
                outputs.Add(new OutputDefinition(id, kind.Value, line.Value, activeHigh.Value, zone,
                    failMode.Value, egress.Value, normallyLocked.Value) { HardwiredExit = hardwiredExit == true });
                if (egress == true && hardwiredExit == false)
                {
                    _egressLocksWithoutHardwiredExit.Add((id, egressNode, subject));
                }
            }

            return kind;
        }

        /// <summary>
        /// A lock's <c>hardwiredExit</c>: true declares a way out that does not go through the gateway.
        /// On a lock that is not an escape route it means nothing, so it is refused rather than left
        /// to suggest a check that is not made.
        /// </summary>
        private bool? HardwiredExit(ConfigNode node, string? subject, bool? egress)
        {
            if (node.IsPresent && egress == false)
            {
                // Whatever its value: the fix is to remove the key, so that is the one thing said.
                _w.Error(node, subject,
                    "hardwiredExit applies only to an egress lock (egress: true), where it says people can leave "
                    + "while the gateway keeps the door locked; remove it, or set egress to true if this door is on an escape route");
                return null;
            }

            return _w.Bool(node, subject, fallback: false);
        }
    }
}
