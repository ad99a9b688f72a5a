using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Zones and points: the zone list is read first because it is what every zone reference is checked
// against, and the point list because lockdown keyswitches are checked against it.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>
        /// Each point item left out after an error whose kind was read: its id as typed (its path when it
        /// has none), kind and <c>silent</c> (null when unread). The whole-site checks count it by its kind.
        /// </summary>
        private readonly List<(string Name, PointKind Kind, bool? Silent)> _brokenPoints = [];

        private List<ZoneDefinition>? Zones(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null; // _zones stays null: zone references are not checked against a list we could not read
            }

            _zones = new Dictionary<string, string>(StringComparer.Ordinal);
            if (items.Count == 0)
            {
                _w.Error(node, null, "at least one zone is required (zones: [ { \"id\": \"lobby\", \"name\": \"Public lobby\" } ])");
                _zones = null;
                return null;
            }

            var zones = new List<ZoneDefinition>();
            foreach (var item in items)
            {
                var subject = Subject("zone", item);
                if (!_w.Object(item, subject, ZoneKeys))
                {
                    continue;
                }

                var idNode = item.Child("id");
                var id = Id(idNode, subject, required: true);
                if (id is not null)
                {
                    if (_zones.TryGetValue(id, out var previous))
                    {
                        _w.Error(idNode, subject, $"zone id '{id}' is already defined at {previous}");
                    }
                    else
                    {
                        _zones.Add(id, idNode.Path);
                    }
                }

                var name = _w.Scalar(item.Child("name"), subject, required: false);
                if (id is not null)
                {
                    zones.Add(new ZoneDefinition(id, name?.Trim() ?? id));
                }
            }

            return zones;
        }

        private List<PointDefinition>? Points(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            if (items.Count == 0)
            {
                _w.Error(node, null, "at least one point is required: a gateway without inputs cannot detect anything");
                return null;
            }

            _pointsKnown = true;
            _pointItems = items.Count;

            var points = new List<PointDefinition>();
            foreach (var item in items)
            {
                if (Device(item, "point", "a point without an id", PointKeys, PointKinds, input: true) is not { } device)
                {
                    continue;
                }

                var (subject, id, kind, line, activeHigh) = device;
                if (id is not null)
                {
                    _pointKinds.TryAdd(id, kind);
                }

                var pull = _w.Enum(item.Child("pull"), subject, required: false, Pulls, LinePull.None);
                CutCable(item, subject, kind, activeHigh, pull);

                var debounceNode = item.Child("debounceMs");
                var debounceMs = kind is { } k
                    ? _w.Int(debounceNode, subject, required: false, 0, MaxDebounceMs, DefaultDebounceMs(k))
                    : _w.Int(debounceNode, subject, required: false, 0, MaxDebounceMs, 0);
                if (kind == PointKind.RequestToExit && debounceMs > MaxRequestToExitDebounceMs)
                {
                    // The filter holds a press back this long before the door releases: a person
                    // would have to keep the exit button pressed that long to get out.
                    _w.Error(debounceNode, subject,
                        $"debounceMs {debounceMs} is too long for a requestToExit: a person must hold the exit button that long "
                        + $"before the door releases; set at most {MaxRequestToExitDebounceMs} ms (the default is {DefaultDebounceMs(PointKind.RequestToExit)})");
                    debounceMs = null;
                }
                var zone = ZoneRef(item.Child("zone"), subject);
                var stuckOk = StuckAfter(item.Child("stuckAfterMinutes"), subject, out var stuckAfter);
                var silentNode = item.Child("silent");
                var silent = _w.Bool(silentNode, subject, fallback: false);
                if (silent == true && kind is { } silentKind && silentKind != PointKind.PanicButton)
                {
                    _w.Error(silentNode, subject, $"silent applies only to panic buttons (a silent hold-up reports without sounding anything), and this point is a {Name(PointKinds, silentKind)}");
                }

                if (id is not null && kind is not null && line is not null && activeHigh is not null && pull is not null
                    && debounceMs is not null && zone is not null && stuckOk && silent is not null)
                {
                    points.Add(new PointDefinition(id, kind.Value, line.Value, activeHigh.Value, pull.Value,
                        TimeSpan.FromMilliseconds(debounceMs.Value), zone) { StuckAfter = stuckAfter, Silent = silent.Value });
                    if (silent.Value)
                    {
                        _silentPanics.Add(id);
                    }
                }
                else if (kind is { } brokenKind)
                {
                    // Still a fire input or a panic button to the whole-site checks, so its error and
                    // theirs come in one validate; named as typed, or by its path when it has no id.
                    _brokenPoints.Add((id ?? item.Path, brokenKind, silent));
                }
            }

            return points;
        }
    }
}
