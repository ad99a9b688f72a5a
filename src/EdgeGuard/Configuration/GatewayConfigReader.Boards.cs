using System.Globalization;

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

        /// <summary>Reads <c>board</c> and <c>ioBoard</c>; before <c>hardware</c>, whose chip defaults to the board's.</summary>
        private void Boards(ConfigNode board, ConfigNode ioBoard)
        {
            _board = Profile(board, ioBoard: false);
            _ioBoard = Profile(ioBoard, ioBoard: true);
        }

        private BoardProfile? Profile(ConfigNode node, bool ioBoard)
        {
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
                return null;
            }

            return profile;
        }

        /// <summary>True when <paramref name="raw"/> names a pin of a profile rather than a line number or a chip address.</summary>
        private bool IsPinReference(string raw) =>
            raw.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)
            || (_boardNamed && !raw.Contains('@', StringComparison.Ordinal) && !int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out _));

        /// <summary>
        /// Resolves a pin reference to a GPIO line (host board) or a board address (I/O board); null after an
        /// error. A pin that is power, ground or reserved is refused with what it is.
        /// </summary>
        private (int? Line, string? Address)? ResolvePin(ConfigNode node, string raw, string? subject)
        {
            BoardPin? pin;
            if (raw.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var number = raw[HeaderPrefix.Length..].Trim();
                if (_board is null)
                {
                    return Unresolved(node, subject, _boardNamed ? null
                        : $"line '{raw}' is a header pin, but no board profile is set; add \"board\": one of {string.Join(", ", HostBoards())}");
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
                    if (_board is null && _ioBoard is null)
                    {
                        return Unresolved(node, subject, null); // the unknown board was reported at board/ioBoard
                    }

                    var names = new[] { _board, _ioBoard }.OfType<BoardProfile>().SelectMany(b => b.Pins.Where(p => p.Line is not null || p.Address is not null).Select(p => p.Name)).Distinct().ToList();
                    return Unresolved(node, subject,
                        $"line '{raw}' is no pin of {string.Join(" or ", new[] { _board, _ioBoard }.OfType<BoardProfile>().Select(b => b.Name))}{ConfigWalker.SuggestionHint(raw, names)}; use a pin name ({string.Join(", ", names.Take(6))}, …), \"header:N\" or a GPIO line number");
                }
            }

            if (pin.Line is null && pin.Address is null)
            {
                return Unresolved(node, subject,
                    $"line '{raw}' is {BoardProfile.Describe(pin)} on {(_board?.Pins.Contains(pin) == true ? _board : _ioBoard)!.Name}, not a GPIO: a point or output needs a GPIO pin");
            }

            return (pin.Line, pin.Address);
        }

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
