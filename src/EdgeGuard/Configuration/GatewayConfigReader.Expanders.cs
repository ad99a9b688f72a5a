using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Drivers.Mcp3008;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Configuration;

// The I/O board: MCP23017 expanders and MCP3008 ADCs, and point/output lines that name their pins
// (`mcp23017@0x20:A3`) or channels (`mcp3008@0.0:CH2` with an `eol` block) instead of a GPIO number.
public static partial class GatewayConfigReader
{
    /// <summary>Default SPI clock of an ADC: safe at 3.3 V.</summary>
    public const int DefaultAdcClockHz = 1_000_000;

    private static readonly string[] ExpanderKeys = ["id", "bus", "interruptLine"];
    private static readonly string[] AdcKeys = ["id", "clockHz", "pollMs"];
    private static readonly string[] EolKeys = ["wiring", "shortMax", "normalMax", "alarmMax"];

    private static readonly (string, EolWiring)[] Wirings =
        [("doubleEol", EolWiring.Double), ("singleEolSeries", EolWiring.SingleSeries), ("singleEolParallel", EolWiring.SingleParallel)];

    private sealed partial class Run
    {
        /// <summary>Expander chip name → path of its id. Null while the expander list could not be read.</summary>
        private Dictionary<string, string>? _expanders = new(StringComparer.Ordinal);

        /// <summary>ADC chip name → path of its id. Null while the ADC list could not be read.</summary>
        private Dictionary<string, string>? _adcs = new(StringComparer.Ordinal);

        // Whether an expander is on I2C bus 1, the Raspberry Pi header's (its pins are then taken).
        private bool _expanderOnI2c1;

        // The expanders' interrupt lines, checked against the bus pins after the ADCs are read.
        private readonly List<(ConfigNode Node, string? Subject, int Line)> _interruptLines = [];

        /// <summary>
        /// No interrupt line on a pin of the buses the configured chips use (e.g. SDA): requesting it
        /// as a GPIO takes the bus from the chips, which then read dead at every boot, their points
        /// at their fail-safe levels. After <see cref="Adcs"/>, so SPI pins count too, and after every
        /// expander, so one listed before the bus-1 expander is checked as well.
        /// </summary>
        private void InterruptLinesOffTheBuses()
        {
            foreach (var (node, subject, line) in _interruptLines)
            {
                if (BusConflict(line) is { } taken)
                {
                    _w.Error(node, subject, taken);
                }
            }
        }

        /// <summary>Expander pin or ADC channel (canonical name) → who uses it.</summary>
        private readonly Dictionary<string, (string Description, string Path)> _boardPins = new(StringComparer.Ordinal);

        /// <summary>Point or output id → canonical name of its board line.</summary>
        private readonly Dictionary<string, string> _lineAddresses = new(StringComparer.Ordinal);

        private readonly List<SupervisedLoopOptions> _loops = [];

        private List<ExpanderOptions>? Expanders(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                _expanders = null;
                return null;
            }

            var expanders = new List<ExpanderOptions>();
            foreach (var item in items)
            {
                var subject = Subject("expander", item);
                if (!_w.Object(item, subject, ExpanderKeys))
                {
                    continue;
                }

                var idNode = item.Child("id");
                var raw = _w.Scalar(idNode, subject, required: true, " (the chip's name, e.g. 'mcp23017@0x20')")?.Trim();
                int? address = null;
                if (raw is not null)
                {
                    if (Mcp23017LineAddress.TryParseChip(raw, out var parsed, out var error))
                    {
                        address = parsed;
                    }
                    else
                    {
                        _w.Error(idNode, subject, error);
                    }
                }

                var id = address is { } a ? new Mcp23017LineAddress(a, 0).Chip : null;
                if (id is not null && !_expanders!.TryAdd(id, idNode.Path))
                {
                    _w.Error(idNode, subject, $"expander '{id}' is already defined at {_expanders[id]}; each chip has its own address (A2..A0 pins)");
                    id = null;
                }

                var bus = _w.Int(item.Child("bus"), subject, required: false, 0, 255, 1);
                _expanderOnI2c1 |= bus == 1;
                // Registered like an input line, so a point or output on the same GPIO line is reported;
                // checked against the bus pins once every chip is read (InterruptLinesOffTheBuses).
                // A reserved header line (the HAT ID EEPROM's) is refused here as a point's or output's is (LineOf).
                var interruptNode = item.Child("interruptLine");
                var interrupt = ReservedLine(interruptNode.Shape == NodeShape.Value ? interruptNode.Section.Value?.Trim() : null) is { } reserved
                    ? Fail(interruptNode, subject, reserved)
                    : Line(interruptNode, subject, subject ?? "an expander's interrupt line", input: true);
                if (interrupt is { } interruptLine)
                {
                    _interruptLines.Add((item.Child("interruptLine"), subject, interruptLine));
                }

                if (id is not null && bus is not null && interrupt is not null)
                {
                    expanders.Add(new ExpanderOptions(id, bus.Value, address!.Value, interrupt.Value));
                }
            }

            return expanders;
        }

        private List<AdcOptions>? Adcs(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                _adcs = null;
                return null;
            }

            var adcs = new List<AdcOptions>();
            foreach (var item in items)
            {
                var subject = Subject("adc", item);
                if (!_w.Object(item, subject, AdcKeys))
                {
                    continue;
                }

                var idNode = item.Child("id");
                var raw = _w.Scalar(idNode, subject, required: true, " (the chip's name, e.g. 'mcp3008@0.0' for /dev/spidev0.0)")?.Trim();
                string? id = null;
                int bus = 0, chipSelect = 0;
                if (raw is not null && !Mcp3008ChannelAddress.TryParseChip(raw, out bus, out chipSelect, out var error))
                {
                    _w.Error(idNode, subject, error);
                }
                else if (raw is not null)
                {
                    id = Mcp3008ChannelAddress.ChipName(bus, chipSelect);
                    if (!_adcs!.TryAdd(id, idNode.Path))
                    {
                        _w.Error(idNode, subject, $"adc '{id}' is already defined at {_adcs[id]}; one chip per SPI chip select");
                        id = null;
                    }
                }

                var clock = _w.Int(item.Child("clockHz"), subject, required: false, 1, Mcp3008.MaxClockFrequency, DefaultAdcClockHz);
                var poll = _w.Int(item.Child("pollMs"), subject, required: false, 10, 10_000, (int)IoBoardOptions.DefaultPollInterval.TotalMilliseconds);
                if (id is not null && poll is not null)
                {
                    _adcPolls[id] = (item.Child("pollMs"), subject, poll.Value);
                }

                if (id is not null && clock is not null && poll is not null)
                {
                    adcs.Add(new AdcOptions(id, bus, chipSelect, clock.Value, TimeSpan.FromMilliseconds(poll.Value)));
                }
            }

            return adcs;
        }

        /// <summary>
        /// A point's or output's <c>line</c>: a GPIO number, or a board line named by a string. Board lines
        /// are returned as -1 and remembered by id, for <c>WithLineAddresses</c>.
        /// </summary>
        private int? LineOf(ConfigNode item, string? subject, string description, bool input, PointKind? kind)
        {
            var node = item.Child("line");
            var raw = node.Shape == NodeShape.Value ? node.Section.Value?.Trim() : null;
            var eol = item.Child("eol");
            var written = raw;
            int? pinLine = null;
            if (raw is not null && IsPinReference(raw))
            {
                // A pin of the board profile: a header GPIO becomes its line number, an I/O-board pin its chip address.
                if (ResolvePin(node, raw, subject, input) is not { } pin)
                {
                    return null;
                }

                (pinLine, raw) = (pin.Line, pin.Address ?? raw);
            }

            // Only a name with a chip part ('…@…') is a board line; anything else is read as a GPIO number.
            if (pinLine is not null || raw is null || !raw.Contains('@', StringComparison.Ordinal))
            {
                NoEolOffAdc(eol, subject, written is null ? null : $"line '{written}' is a GPIO line");
                var line = pinLine is null && ReservedLine(raw) is { } reserved ? Fail(node, subject, reserved) : Line(node, subject, description, input, pinLine);
                return line is { } native && BusConflict(native) is { } taken ? Fail(node, subject, taken) : line;
            }

            // A chip address of the fitted I/O board is one of its pins, with that pin's role.
            if (IoBoardPinAt(raw) is { } boardPin && RoleConflict(boardPin, input) is { } conflict)
            {
                return Fail(node, subject, $"line '{raw}' {conflict}");
            }

            if (Mcp23017LineAddress.IsExpanderLine(raw))
            {
                NoEolOffAdc(eol, subject, $"line '{written}' is an expander pin");
                return ExpanderLine(item, node, raw, subject, description, input);
            }

            if (Mcp3008ChannelAddress.IsAdcName(raw))
            {
                return input
                    ? AdcLine(item, node, raw, subject, description, kind)
                    : Fail(node, subject, $"line '{raw}' is an ADC channel, which can only be read; drive an output from a GPIO line or an expander pin");
            }

            return Fail(node, subject,
                $"line '{raw}' names no known chip: it is neither a GPIO line number (0..{MaxLine}) nor an expander pin ('mcp23017@0x20:A3') or an ADC channel ('mcp3008@0.0:CH2')");
        }

        // Only an ADC channel measures a loop's resistance: on a GPIO line or an expander pin an eol block
        // would be ignored, and the technician believe a plain digital input supervised.
        private void NoEolOffAdc(ConfigNode eol, string? subject, string? what)
        {
            if (eol.IsPresent)
            {
                var digital = what is null ? string.Empty : $", and {what}, which reads only high or low";
                _w.Error(eol, subject,
                    $"eol applies only to a point read through an ADC channel (line 'mcp3008@0.0:CH2'){digital}; remove eol or move the loop to an ADC");
            }
        }

        private int? ExpanderLine(ConfigNode item, ConfigNode node, string raw, string? subject, string description, bool input)
        {
            if (!Mcp23017LineAddress.TryParse(raw, out var address, out var error))
            {
                return Fail(node, subject, $"line {error}");
            }

            var chip = address.Chip;
            if (_expanders is not null && !_expanders.ContainsKey(chip))
            {
                return Fail(node, subject, _expanders.Count == 0
                    ? $"line '{raw}' is on expander '{chip}', but no expanders are configured; add {{ \"id\": \"{chip}\", \"bus\": 1, \"interruptLine\": N }} to expanders"
                    : $"line '{raw}' is on expander '{chip}', which is not defined{ConfigWalker.SuggestionHint(chip, _expanders.Keys)}; defined expanders: {string.Join(", ", _expanders.Keys)}");
            }

            var pull = item.Child("pull");
            if (input && string.Equals(pull.Section.Value?.Trim(), "down", StringComparison.OrdinalIgnoreCase))
            {
                _w.Error(pull, subject, "pull 'down' is not available on an expander pin: the MCP23017 has only pull-ups; use 'up', or 'none' with an external pull-down resistor");
            }

            return Claim(node, subject, description, address.ToString(), item);
        }

        private int? AdcLine(ConfigNode item, ConfigNode node, string raw, string? subject, string description, PointKind? kind)
        {
            if (!Mcp3008ChannelAddress.TryParse(raw, out var address, out var error))
            {
                return Fail(node, subject, $"line {error}");
            }

            if (_adcs is not null && !_adcs.ContainsKey(address.Chip))
            {
                return Fail(node, subject, _adcs.Count == 0
                    ? $"line '{raw}' is on ADC '{address.Chip}', but no adcs are configured; add {{ \"id\": \"{address.Chip}\" }} to adcs"
                    : $"line '{raw}' is on ADC '{address.Chip}', which is not defined{ConfigWalker.SuggestionHint(address.Chip, _adcs.Keys)}; defined adcs: {string.Join(", ", _adcs.Keys)}");
            }

            PolledFastEnough(item, address.Chip, kind);
            var pull = item.Child("pull");
            if (!string.IsNullOrWhiteSpace(pull.Section.Value) && !string.Equals(pull.Section.Value.Trim(), "none", StringComparison.OrdinalIgnoreCase))
            {
                _w.Error(pull, subject, "pull does not apply to a supervised loop: its pull-up resistor is on the I/O board, in front of the ADC channel; remove it");
            }

            var thresholds = Eol(item.Child("eol"), subject, kind);
            var line = Claim(node, subject, description, address.ToString(), item);
            var id = item.Section.GetSection("id").Value;
            if (line is not null && thresholds is not null && id is not null)
            {
                _loops.Add(new SupervisedLoopOptions(id, address.Chip, address.Channel, thresholds));
            }

            return line;
        }

        /// <summary>A supervised point's electrical sense is fixed (active = alarm): <c>activeLevel</c> must not be set.</summary>
        private bool? ActiveLevelOf(ConfigNode item, string? subject, bool input)
        {
            var line = AddressOf(item.Child("line").Section.Value?.Trim());
            if (!input || !Mcp3008ChannelAddress.IsAdcName(line))
            {
                return _w.Enum(item.Child("activeLevel"), subject, required: true, Levels);
            }

            var node = item.Child("activeLevel");
            if (node.IsPresent && !string.IsNullOrWhiteSpace(node.Section.Value))
            {
                _w.Error(node, subject, "activeLevel does not apply to a supervised loop: its state comes from the loop's resistance (eol thresholds); remove it");
            }

            return true;
        }

        // A single-EOL loop folds one cable fault into "alarm" (a series loop cut, a parallel loop
        // bridged): fail-safe for a detector, but for a keyswitch or an exit button "alarm" means
        // "operated", so cutting or bridging its cable would clear a lockdown, reset a fire release
        // or unlock a door. Only double EOL tells both faults from a real operation (the rule for
        // plain lines is CutReadsWrong, GatewayConfigReader.ZonesAndPoints.cs).
        private static string? OperatedByAlarm(PointKind? kind) => kind switch
        {
            PointKind.Keyswitch => "the key turned, clearing a lockdown or resetting a fire release",
            PointKind.RequestToExit => "the button pressed, unlocking its door",
            PointKind.LockMonitor => "the lock engaged, hiding a lock that does not hold its door",
            _ => null,
        };

        private EolThresholds? Eol(ConfigNode node, string? subject, PointKind? kind)
        {
            if (!node.IsPresent)
            {
                _w.Error(node, subject, "eol is required for a point on an ADC channel: { \"wiring\": \"doubleEol\", \"shortMax\": 341, \"normalMax\": 599, \"alarmMax\": 818 }");
                return null;
            }

            if (!_w.Object(node, subject, EolKeys))
            {
                return null;
            }

            var wiring = _w.Enum(node.Child("wiring"), subject, required: true, Wirings);
            var shortMax = _w.Int(node.Child("shortMax"), subject, required: true, 0, EolThresholds.MaxReading);
            var normalMax = _w.Int(node.Child("normalMax"), subject, required: true, 0, EolThresholds.MaxReading);
            var alarmNode = node.Child("alarmMax");
            var alarmMax = alarmNode.IsPresent ? _w.Int(alarmNode, subject, required: true, 0, EolThresholds.MaxReading) : null;
            if (wiring is null || shortMax is null || normalMax is null || (alarmNode.IsPresent && alarmMax is null))
            {
                return null;
            }

            if (wiring != EolWiring.Double && OperatedByAlarm(kind) is { } operated)
            {
                var cut = wiring == EolWiring.SingleSeries ? "a cut" : "a bridged";
                _w.Error(node.Child("wiring"), subject,
                    $"a {Name(PointKinds, kind!.Value)} needs 'doubleEol': on '{Name(Wirings, wiring.Value)}' {cut} cable reads as {operated}");
                return null;
            }

            var thresholds = new EolThresholds(wiring.Value, shortMax.Value, normalMax.Value, alarmMax);
            var problems = thresholds.Validate();
            foreach (var problem in problems)
            {
                _w.Error(node, subject, $"eol ({Name(Wirings, wiring.Value)}): {problem}");
            }

            return problems.Count == 0 ? thresholds : null;
        }

        /// <summary>Registers a board pin or channel for one user; a second user is an error naming the first.</summary>
        private int? Claim(ConfigNode node, string? subject, string description, string pin, ConfigNode item)
        {
            if (_boardPins.TryGetValue(pin, out var user))
            {
                return Fail(node, subject, $"line '{pin}' is already used by {user.Description} ({user.Path}); a pin or channel serves one point or output");
            }

            _boardPins.Add(pin, (description, node.Path));
            if (item.Section.GetSection("id").Value is { } id)
            {
                _lineAddresses.TryAdd(id, pin);
            }

            return -1;
        }

        private int? Fail(ConfigNode node, string? subject, string message)
        {
            _w.Error(node, subject, message);
            return null;
        }

        /// <summary>The I/O board as read; called only when the whole read succeeded.</summary>
        private IoBoardOptions Board(List<ExpanderOptions>? expanders, List<AdcOptions>? adcs) =>
            expanders is { Count: 0 } && adcs is { Count: 0 } ? IoBoardOptions.None : new IoBoardOptions(expanders ?? [], adcs ?? [], [.. _loops]);

        private List<PointDefinition> WithLineAddresses(List<PointDefinition> points) =>
            [.. points.Select(p => _lineAddresses.TryGetValue(p.Id, out var a) ? p with { LineAddress = a } : p)];

        private List<OutputDefinition> WithLineAddresses(List<OutputDefinition> outputs) =>
            [.. outputs.Select(o => _lineAddresses.TryGetValue(o.Id, out var a) ? o with { LineAddress = a } : o)];
    }
}
