using System.Globalization;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.Configuration;

// Checks of one item against what the read has declared so far: GPIO lines used once, point and
// output ids unique, zone references defined, a panic or fire loop on an ADC polled fast enough.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>A GPIO line offset (read from <paramref name="node"/>, or resolved from a board pin), checked against every line used so far.</summary>
        private int? Line(ConfigNode node, string? subject, string description, bool input, int? resolved = null)
        {
            var line = resolved ?? _w.Int(node, subject, required: true, 0, MaxLine);
            if (line is null)
            {
                return null;
            }

            if (BeyondChip(line.Value) is { } beyond)
            {
                _w.Error(node, subject, beyond);
                return null;
            }

            if (_lines.TryGetValue(line.Value, out var user))
            {
                var lineText = line.Value.ToString(CultureInfo.InvariantCulture);
                var why = (user.Input, input) switch
                {
                    (true, true) => "two inputs cannot share a line",
                    (false, false) => "two outputs cannot share a line",
                    _ => "a line cannot be both an input and an output",
                };
                var userText = user.Input && !input ? $"input {user.Description}" : user.Description;
                _w.Error(node, subject, $"line {lineText} is already used by {userText} ({user.Path}); {why}");
                return null;
            }

            _lines.Add(line.Value, (description, node.Path, input));
            return line;
        }

        // Whether the lines are opened on the simulated chip: the config chooses the simulated driver,
        // or --simulate forces it for a verb that opens them. Not for the journal and sim verbs
        // (ConfigUse.Paths): they read a real site's config so, and its lines are its real chip's.
        private bool _simulatedChip;

        // The named host board, when hardware.chip is its header chip (unset, or its label): only then
        // is a line number one of its header's lines.
        private BoardProfile? _boardChip;

        // A line the chip does not have: validate passed it (only 0..MaxLine was checked) and the run
        // failed opening it, exit 1, which systemd restarts towards the start limit's reboot. Known
        // for a named host board (its profile's chip) and for the simulated chip; another chip's size
        // only the kernel knows.
        private string? BeyondChip(int line)
        {
            var text = line.ToString(CultureInfo.InvariantCulture);
            if (_boardChip?.ChipLines is { } lines && line >= lines)
            {
                return $"line {text} is beyond {_boardChip.Name}'s GPIO chip, which has lines 0..{(lines - 1).ToString(CultureInfo.InvariantCulture)}";
            }

            const int simulated = EdgeGuard.Hardware.Simulation.SimulatedGpioDriver.DefaultLineCount;
            return _simulatedChip && line >= simulated
                ? $"line {text} is beyond the simulated chip, which has lines 0..{(simulated - 1).ToString(CultureInfo.InvariantCulture)}"
                : null;
        }

        private void RegisterId(ConfigNode node, string? subject, string? id, string description)
        {
            if (id is null)
            {
                return;
            }

            if (_ids.TryGetValue(id, out var previous))
            {
                _w.Error(node, subject,
                    $"id '{id}' is already used by {previous.Description} ({previous.Path}); points and outputs share one id namespace");
                return;
            }

            _ids.Add(id, (description, node.Path));
        }

        /// <summary>ADC chip name → its <c>pollMs</c> node, subject and value (default included).</summary>
        private readonly Dictionary<string, (ConfigNode Node, string? Subject, int PollMs)> _adcPolls = new(StringComparer.Ordinal);

        /// <summary>
        /// A panic button or fire input read through an ADC: the chip must be polled at most every
        /// <see cref="EolLoopLines.MaxLifeSafetyPollInterval"/> (33 ms). A press is confirmed by two agreeing
        /// polls, and a poll can be skipped (the one before it still delivering) or late; polled slower, a
        /// short press holds two polls only at some phase, and one of them missing loses the guard's alarm. Reported at the ADC's
        /// <c>pollMs</c> (what to change), naming the point.
        /// </summary>
        private void PolledFastEnough(ConfigNode item, string chip, PointKind? kind)
        {
            var bound = (int)EolLoopLines.MaxLifeSafetyPollInterval.TotalMilliseconds;
            if (kind is not (PointKind.PanicButton or PointKind.FireAlarm)
                || !_adcPolls.TryGetValue(chip, out var adc) || adc.PollMs <= bound)
            {
                return;
            }

            var id = item.Section.GetSection("id").Value;
            var press = (int)EolLoopLines.ShortestPress.TotalMilliseconds;
            _w.Error(adc.Node, adc.Subject,
                $"pollMs {adc.PollMs} is too slow for point '{id}' ({Name(PointKinds, kind.Value)}, {item.Path}): an ADC that reads a panic button or fire input may wait at most {bound} ms between polls, so that a {press} ms press holds {EolLoopLines.PollsPerShortestPress} polls and {EolLoopLines.ConfirmingSamples} of them still confirm it when one of them is skipped or late; set pollMs to {bound} or less");
        }

        /// <summary>A required reference to a declared zone.</summary>
        private string? ZoneRef(ConfigNode node, string? subject)
        {
            var zone = _w.Scalar(node, subject, required: true, " (the id of a zone in zones)");
            if (zone is null || _zones is null)
            {
                return zone; // no zone list to check against; that is reported once, at zones
            }

            if (!_zones.ContainsKey(zone))
            {
                var hint = ConfigWalker.SuggestionHint(zone, _zones.Keys);
                _w.Error(node, subject, $"zone '{zone}' is not defined{hint}; defined zones: {string.Join(", ", _zones.Keys)}");
                return null;
            }

            return zone;
        }
    }
}
