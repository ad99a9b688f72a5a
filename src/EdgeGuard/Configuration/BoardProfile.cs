using System.Globalization;
using System.Text.Json;

namespace EdgeGuard.Configuration;

/// <summary>One pin of a board profile.</summary>
/// <param name="Header">Physical pin on the 40-pin header, for a host board; null on an I/O board.</param>
/// <param name="Name">The pin's name (<c>GPIO17</c>, <c>GND</c>, <c>IN3</c>), usable as a point's or output's line.</param>
/// <param name="Line">The GPIO line offset on the header chip, when the pin is a GPIO.</param>
/// <param name="Address">The I/O-board line (<c>mcp23017@0x20:A2</c>, <c>mcp3008@0.0:CH0</c>), on an I/O board.</param>
/// <param name="Use">What the pin is when it is not a GPIO (<c>power</c>, <c>ground</c>, <c>reserved</c>), or <c>input</c>/<c>output</c> on an I/O board.</param>
public sealed record BoardPin(int? Header, string Name, int? Line, string? Address, string? Use)
{
    /// <summary>
    /// The line of a <c>reserved</c> pin (the HAT ID EEPROM's BCM 0/1): a line of the header chip, but never
    /// one for a point or output, so it is kept out of <see cref="Line"/>, which every pin lookup resolves to.
    /// </summary>
    public int? ReservedLine { get; init; }
}

/// <summary>
/// A board profile from <c>hardware/boards/*.json</c>, embedded in the executable so a release carries them:
/// a host board's 40-pin header (physical pin ↔ GPIO line, and which pins are power, ground or reserved) or an
/// I/O board's named pins. Configuration names a profile in <c>board</c> / <c>ioBoard</c> and its pins in <c>line</c>.
/// </summary>
/// <param name="Name">The profile's name, e.g. <c>raspberry-pi-5</c>.</param>
/// <param name="IsIoBoard">True for an I/O board (<c>ioBoard</c>), false for a host board (<c>board</c>).</param>
/// <param name="ChipLabel">The header chip's label, the default <c>hardware.chip</c> on a host board.</param>
/// <param name="Pins">Every pin.</param>
public sealed record BoardProfile(string Name, bool IsIoBoard, string? ChipLabel, IReadOnlyList<BoardPin> Pins)
{
    private const string Prefix = "boards/";

    // A pin the board needs for itself (the HAT ID EEPROM): its line is recorded, but never usable.
    private const string ReservedUse = "reserved";

    private static readonly Lazy<IReadOnlyDictionary<string, BoardProfile>> All = new(LoadAll);

    /// <summary>The names of every shipped profile, sorted.</summary>
    public static IReadOnlyList<string> Known => [.. All.Value.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The shipped profile with this name (case-insensitive), or null.</summary>
    public static BoardProfile? Find(string name) => All.Value.GetValueOrDefault(name);

    /// <summary>
    /// On an I/O board: the host header pins its buses take (I2C SDA/SCL, SPI MOSI/MISO/SCLK and both chip
    /// selects), which no native point or output may use while it is fitted. Empty on a host board.
    /// </summary>
    public IReadOnlyList<int> BusHeaderPins { get; init; } = [];

    /// <summary>
    /// On a host board whose profile lists them (<c>bootPulls</c>): the level each header line rests at from
    /// power-on until the service opens it, true for pulled up. A line not listed has no known level (a
    /// profile without the list, e.g. the Raspberry Pi 5, whose firmware sets the RP1's pulls).
    /// </summary>
    public IReadOnlyDictionary<int, bool> BootLevels { get; init; } = new Dictionary<int, bool>();

    /// <summary>On a host board: how many lines its header chip has (<c>chip.lines</c>), when the profile says.</summary>
    public int? ChipLines { get; init; }

    /// <summary>The pin with this name (case-insensitive), or null.</summary>
    public BoardPin? Pin(string name) => Pins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The reserved pin on this header-chip line, or null: a line number written there is refused as the pin would be.</summary>
    public BoardPin? ReservedPinAt(int line) => Pins.FirstOrDefault(p => p.ReservedLine == line);

    /// <summary>The pin at this header position, or null.</summary>
    public BoardPin? HeaderPin(int header) => Pins.FirstOrDefault(p => p.Header == header);

    /// <summary>Parses a profile document (the format of <c>hardware/boards/*.json</c>).</summary>
    /// <exception cref="JsonException">The document is not a profile.</exception>
    public static BoardProfile Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var name = root.GetProperty("name").GetString() ?? throw new JsonException("a board profile needs a name");
        var isIoBoard = root.GetProperty("kind").GetString() == "ioBoard";
        var chip = root.TryGetProperty("chip", out var c) && c.TryGetProperty("label", out var label) ? label.GetString() : null;
        int? chipLines = root.TryGetProperty("chip", out var cl) && cl.TryGetProperty("lines", out var count) ? count.GetInt32() : null;
        var pins = root.GetProperty("pins").EnumerateArray().Select(ParsePin).ToList();
        var bus = root.TryGetProperty("busHeaderPins", out var b) ? b.EnumerateArray().Select(e => e.GetInt32()).ToList() : [];
        var bootLevels = new Dictionary<int, bool>();
        if (root.TryGetProperty("bootPulls", out var pulls))
        {
            foreach (var (key, high) in new[] { ("up", true), ("down", false) })
            {
                if (!pulls.TryGetProperty(key, out var lines))
                {
                    continue;
                }

                foreach (var line in lines.EnumerateArray())
                {
                    // Add, not set: a line listed both up and down is a broken profile, caught by its tests.
                    bootLevels.Add(line.GetInt32(), high);
                }
            }
        }

        return new BoardProfile(name, isIoBoard, chip, pins) { BusHeaderPins = bus, BootLevels = bootLevels, ChipLines = chipLines };
    }

    private static BoardPin ParsePin(JsonElement p)
    {
        int? line = p.TryGetProperty("line", out var l) ? l.GetInt32() : null;
        var use = p.TryGetProperty("use", out var u) ? u.GetString() : null;
        var reserved = use == ReservedUse;
        return new BoardPin(
            p.TryGetProperty("header", out var h) ? h.GetInt32() : null,
            p.GetProperty("name").GetString()!,
            reserved ? null : line,
            p.TryGetProperty("address", out var a) ? a.GetString() : null,
            use) { ReservedLine = reserved ? line : null };
    }

    private static IReadOnlyDictionary<string, BoardProfile> LoadAll()
    {
        var assembly = typeof(BoardProfile).Assembly;
        var profiles = new Dictionary<string, BoardProfile>(StringComparer.OrdinalIgnoreCase);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var profile = Parse(reader.ReadToEnd());
            profiles.Add(profile.Name, profile);
        }

        return profiles;
    }

    /// <summary>A pin as messages name it: <c>header pin 2 (5V, power)</c>.</summary>
    public static string Describe(BoardPin pin)
    {
        ArgumentNullException.ThrowIfNull(pin);
        var where = pin.Header is { } h ? string.Create(CultureInfo.InvariantCulture, $"header pin {h} ") : string.Empty;
        return $"{where}({pin.Name}{(pin.Use is { } use ? $", {use}" : string.Empty)})";
    }
}
