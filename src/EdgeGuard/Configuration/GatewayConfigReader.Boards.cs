using System.Globalization;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp3008;

namespace EdgeGuard.Configuration;

// Board profiles: `board` (the host's 40-pin header) and `ioBoard` (named I/O-board pins) let a point or output
// name its pin — "header:11", "GPIO17", "IN3" — instead of a raw line number or chip address.
public static partial class GatewayConfigReader
{
    private const string HeaderPrefix = "header:";

    private sealed partial class Run
    {
        private BoardProfile? _board;
        private BoardProfile? _ioBoard;

        /// <summary>True when a profile is named (even a wrong one): pin names are then looked up, not read as numbers.</summary>
        private bool _boardNamed;

        // Set only when `board` / `ioBoard` names a profile that does not exist (already reported there): a pin
        // that could belong to the intended profile is then not reported again. Not set when a profile is merely
        // absent — a header pin without a board is an error of its own, never a silently dropped point.
        private bool _boardUnknown;
        private bool _ioBoardUnknown;

        /// <summary>Reads <c>board</c> and <c>ioBoard</c>; before <c>hardware</c>, whose chip defaults to the board's.</summary>
        private void Boards(ConfigNode board, ConfigNode ioBoard)
        {
            _board = Profile(board, ioBoard: false, out _boardUnknown);
            _ioBoard = Profile(ioBoard, ioBoard: true, out _ioBoardUnknown);
        }

        private BoardProfile? Profile(ConfigNode node, bool ioBoard, out bool unknown)
        {
            unknown = false;
            var name = _w.Scalar(node, null, required: false)?.Trim();
            if (name is null)
            {
                return null;
            }

            _boardNamed = true;
            var profile = BoardProfile.Find(name);
            if (profile is null || profile.IsIoBoard != ioBoard)
            {
                var fitting = BoardProfile.Known.Where(n => BoardProfile.Find(n)!.IsIoBoard == ioBoard).ToList();
                var other = profile is null ? ConfigWalker.SuggestionHint(name, fitting)
                    : ioBoard ? $" ('{profile.Name}' is a host board: name it in board)" : $" ('{profile.Name}' is an I/O board: name it in ioBoard)";
                _w.Error(node, null, $"unknown {(ioBoard ? "I/O board" : "board")} '{name}'{other}; known: {string.Join(", ", fitting)} (profiles in hardware/boards)");
                unknown = true;
                return null;
            }

            return profile;
        }

        /// <summary>True when <paramref name="raw"/> names a pin of a profile rather than a line number or a chip address.</summary>
        private bool IsPinReference(string raw) =>
            raw.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)
            || (_boardNamed && !raw.Contains('@', StringComparison.Ordinal) && !int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out _));

        /// <summary>
        /// Why a line number (<paramref name="raw"/>, as written) may not be used, or null: on the named board's
        /// header chip it is a reserved pin (the HAT ID EEPROM the firmware reads at boot), refused as its pin
        /// name or header position is. With a board named a line number is digits only (else a pin name).
        /// </summary>
        private string? ReservedLine(string? raw) =>
            _boardChip is { } board && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            && board.ReservedPinAt(line) is { } pin
                ? NotAGpio(line.ToString(CultureInfo.InvariantCulture), pin, board)
                : null;

        private static string NotAGpio(string line, BoardPin pin, BoardProfile board) =>
            $"line {line} is {BoardProfile.Describe(pin)} on {board.Name}, not a GPIO: a point, an output or an expander's interrupt line needs a GPIO pin";

        /// <summary>
        /// Resolves a pin reference to a GPIO line (host board) or a board address (I/O board); null after an
        /// error. A pin that is power, ground or reserved is refused with what it is.
        /// </summary>
        private (int? Line, string? Address)? ResolvePin(ConfigNode node, string raw, string? subject, bool input)
        {
            BoardPin? pin;
            if (raw.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var number = raw[HeaderPrefix.Length..].Trim();
                if (_board is null)
                {
                    // Only a misspelled board excuses it (reported at board); an ioBoard alone names no header.
                    return Unresolved(node, subject, _boardUnknown ? null
                        : $"line '{raw}' is a header pin, but no board profile is set{(_ioBoard is null ? string.Empty : $" (ioBoard {_ioBoard.Name} has no header)")}; add \"board\": one of {string.Join(", ", HostBoards())}");
                }

                if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var header) || _board.HeaderPin(header) is not { } found)
                {
                    return Unresolved(node, subject, $"line '{raw}': {_board.Name} has header pins 1..{_board.Pins.Max(p => p.Header)}");
                }

                pin = found;
            }
            else
            {
                pin = _board?.Pin(raw) ?? _ioBoard?.Pin(raw);
                if (pin is null)
                {
                    // A pin of the profile that was misspelled: reported once, at board/ioBoard. A name on no
                    // shipped profile of that kind is wrong whichever was meant, so it is still reported.
                    if ((_boardUnknown && IsPinOfAny(raw, ioBoard: false)) || (_ioBoardUnknown && IsPinOfAny(raw, ioBoard: true)))
                    {
                        return Unresolved(node, subject, null);
                    }

                    var profiles = new[] { _board, _ioBoard }.OfType<BoardProfile>().ToList();
                    var names = profiles.SelectMany(b => b.Pins.Where(p => p.Line is not null || p.Address is not null).Select(p => p.Name)).Distinct().ToList();
                    var of = profiles.Count == 0 ? "any shipped board profile" : string.Join(" or ", profiles.Select(b => b.Name));
                    var use = names.Count == 0 ? "; use" : $"{ConfigWalker.SuggestionHint(raw, names)}; use a pin name ({string.Join(", ", names.Take(6))}, …),";
                    return Unresolved(node, subject, $"line '{raw}' is no pin of {of}{use} \"header:N\" or a GPIO line number");
                }
            }

            if (pin.Line is null && pin.Address is null)
            {
                return Unresolved(node, subject, NotAGpio($"'{raw}'", pin, (_board?.Pins.Contains(pin) == true ? _board : _ioBoard)!));
            }

            if (RoleConflict(pin, input) is { } conflict)
            {
                return Unresolved(node, subject, $"line '{raw}' {conflict}");
            }

            return (pin.Line, pin.Address);
        }

        /// <summary>
        /// Why an I/O-board pin cannot serve this role, or null. The profile's <c>use</c> is the hardware: an input
        /// pin is wired to a contact that may short it to ground, so driving it as an output can destroy the
        /// driver; an output pin goes through a relay driver and reads nothing of the field.
        /// </summary>
        private static string? RoleConflict(BoardPin pin, bool input)
        {
            var wanted = input ? "input" : "output";
            if (pin.Use is not ("input" or "output") || pin.Use == wanted)
            {
                return null;
            }

            return input
                ? $"is {pin.Name}, an output (relay driver) of the I/O board: a point must be on an input pin (IN1..IN8, LOOP1..LOOP8)"
                : $"is {pin.Name}, an input of the I/O board: driving it could damage the board when its contact shorts it to ground; an output must be on an output pin (OUT1..OUT8)";
        }

        /// <summary>The I/O-board pin at a chip address (<c>mcp23017@0x20:B7</c>), when an I/O board is fitted.</summary>
        private BoardPin? IoBoardPinAt(string address) =>
            _ioBoard?.Pins.FirstOrDefault(p => string.Equals(p.Address, address, StringComparison.OrdinalIgnoreCase));

        /// <summary>
        /// Why a native GPIO line cannot be used while the I/O board is fitted, or null: its I2C/SPI bus takes the
        /// line, so a contact or relay there would fight the bus (and the bus driver owns the pin anyway).
        /// </summary>
        private string? BusConflict(int line)
        {
            // Without an I/O board, the buses of the chips configured so far (expanders and ADCs are
            // read before points and outputs): a GPIO requested on one of them is switched away from
            // the bus, and every chip on it then reads dead at each boot.
            var (busPins, bus) = _ioBoard is not null
                ? (_ioBoard.BusHeaderPins, $"the I2C/SPI bus of ioBoard {_ioBoard.Name}")
                : (ChipBusHeaderPins(), "the I2C/SPI bus of the expanders and ADCs configured");
            if (busPins.Count == 0)
            {
                return null;
            }

            // Without a board the header is read through the shipped host profiles, which agree on these pins.
            var hosts = _board is not null ? [_board] : HostBoards().Select(n => BoardProfile.Find(n)!).ToList();
            var taken = hosts.SelectMany(h => busPins.Select(h.HeaderPin)).OfType<BoardPin>().FirstOrDefault(p => p.Line == line);
            return taken is null ? null : string.Create(CultureInfo.InvariantCulture,
                $"line {line} is {BoardProfile.Describe(taken)}, taken by {bus}; move it to a free GPIO (bus pins: header {string.Join(", ", busPins)})");
        }

        /// <summary>
        /// Why an output may not be on this native line, or null: the host board pulls the line, from
        /// power-on until the service opens it (and whenever the service is not running), to the level
        /// that energises the output's relay. Boot and a crash loop then unlock a fail-secure lock, hold
        /// an escape route's maglock locked, or sound the siren. A relay board's input may or may not
        /// follow a weak pull; the gateway cannot tell, so the wiring must not depend on it. Indicators
        /// and non-egress fail-safe locks (energised = locked) are allowed. Only boards whose profile
        /// lists the pulls are checked.
        /// </summary>
        private string? BootLevelConflict(OutputKind kind, LockFailMode failMode, bool egress, int line, bool activeHigh)
        {
            if (_board is null || !_board.BootLevels.TryGetValue(line, out var pulledHigh) || pulledHigh != activeHigh)
            {
                return null;
            }

            var effect = kind switch
            {
                OutputKind.Lock when failMode == LockFailMode.FailSecure => "this fail-secure lock unlocks",
                OutputKind.Lock when egress => "this escape route's fail-safe lock stays locked",
                OutputKind.Siren => "this siren sounds",
                OutputKind.Strobe => "this strobe flashes",
                _ => null,
            };
            if (effect is null)
            {
                return null;
            }

            var (pull, level, other) = pulledHigh ? ("up", "high", "low") : ("down", "low", "high");
            var safe = _board.BootLevels.Where(l => l.Value != pulledHigh).Select(l => l.Key).Order().ToList();
            return string.Create(CultureInfo.InvariantCulture,
                $"line {line}: {_board.Name} pulls it {pull} from power-on until the gateway opens it, and {level} energises this output's relay, "
                + $"so {effect} at every boot and whenever the gateway is not running; move it to a line pulled {(pulledHigh ? "down" : "up")} at boot "
                + $"({safe.Min()}-{safe.Max()}) or use a relay input energised by {other} (activeLevel {other})");
        }

        // The Raspberry Pi header pins of I2C1 (SDA, SCL) and SPI0 (MOSI, MISO, SCLK, CE0, CE1), as
        // the shipped I/O board's profile lists them. Both chip selects: with dtparam=spi=on the
        // kernel's SPI0 driver claims GPIO8 and GPIO7 whichever one a chip uses.
        private static readonly int[] I2c1HeaderPins = [3, 5];
        private static readonly int[] Spi0HeaderPins = [19, 21, 23, 24, 26];

        private List<int> ChipBusHeaderPins()
        {
            var pins = new List<int>();
            if (_expanderOnI2c1)
            {
                pins.AddRange(I2c1HeaderPins);
            }

            if (_adcs is not null && (_adcs.ContainsKey(Mcp3008ChannelAddress.ChipName(0, 0)) || _adcs.ContainsKey(Mcp3008ChannelAddress.ChipName(0, 1))))
            {
                pins.AddRange(Spi0HeaderPins);
            }

            return pins;
        }

        private static bool IsPinOfAny(string name, bool ioBoard) =>
            BoardProfile.Known.Select(n => BoardProfile.Find(n)!).Any(b => b.IsIoBoard == ioBoard && b.Pin(name) is not null);

        /// <summary>The I/O-board address a pin name stands for, or <paramref name="raw"/> as is (errors are LineOf's to report).</summary>
        private string? AddressOf(string? raw) =>
            raw is not null && IsPinReference(raw) && (_board?.Pin(raw) ?? _ioBoard?.Pin(raw))?.Address is { } address ? address : raw;

        private (int? Line, string? Address)? Unresolved(ConfigNode node, string? subject, string? message)
        {
            if (message is not null)
            {
                _w.Error(node, subject, message);
            }

            return null;
        }

        private static IEnumerable<string> HostBoards() => BoardProfile.Known.Where(n => !BoardProfile.Find(n)!.IsIoBoard);
    }
}
