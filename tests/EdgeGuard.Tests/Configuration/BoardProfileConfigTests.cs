using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// Board profiles (hardware/boards/*.json, embedded in the executable): <c>board</c> and <c>ioBoard</c> name a
/// profile, and a point's or output's <c>line</c> may name a header pin or a profile pin. Broken references are
/// reported all at once, each with its path.
/// </summary>
public sealed class BoardProfileConfigTests
{
    private static ConfigResult Read(params (string Key, string? Value)[] overrides)
    {
        var loaded = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            [.. overrides.Select(o => $"EdgeGuard:{o.Key}={o.Value}")]);
        Assert.Empty(loaded.Errors);
        return GatewayConfigReader.Read(loaded.Configuration);
    }

    [Fact]
    public void The_three_profiles_ship_inside_the_executable()
    {
        Assert.Equal(["mcp-io-board", "raspberry-pi-4", "raspberry-pi-5"], BoardProfile.Known);
        var pi5 = BoardProfile.Find("raspberry-pi-5")!;
        Assert.Equal("pinctrl-rp1", pi5.ChipLabel);
        Assert.Equal("pinctrl-bcm2711", BoardProfile.Find("raspberry-pi-4")!.ChipLabel);
        Assert.Equal(40, pi5.Pins.Count);
        Assert.Equal(17, pi5.HeaderPin(11)!.Line);
        Assert.Equal(26, pi5.Pin("gpio26")!.Line);
        Assert.Equal(26, pi5.Pins.Count(p => p.Line is not null)); // BCM 2..27; 0/1 are the reserved ID EEPROM pins
        Assert.Equal("mcp23017@0x20:A2", BoardProfile.Find("mcp-io-board")!.Pin("IN3")!.Address);
    }

    [Fact]
    public void Header_pins_and_pin_names_resolve_to_the_same_lines_and_the_chip_defaults_to_the_boards_label()
    {
        var result = Read(("board", "raspberry-pi-5"), ("hardware:chip", null),
            ("points:0:line", "header:11"), ("points:1:line", "GPIO27"), ("outputs:0:line", "header:32"));

        Assert.True(result.IsValid, result.ToReport());
        var config = result.Config!;
        Assert.Equal("pinctrl-rp1", config.Hardware.Chip);
        Assert.Equal(17, config.Site.Point("door-lobby").Line);
        Assert.Equal(27, config.Site.Point("door-chancery").Line);
        Assert.Equal(12, config.Site.Outputs[0].Line);
    }

    [Fact]
    public void An_io_board_pin_name_becomes_its_chip_address()
    {
        var loaded = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json"),
            ["EdgeGuard:ioBoard=mcp-io-board", "EdgeGuard:board=raspberry-pi-4", "EdgeGuard:points:2:line=IN1", "EdgeGuard:points:4:line=LOOP1"]);
        var result = GatewayConfigReader.Read(loaded.Configuration);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("mcp23017@0x20:A0", result.Config!.Site.Point("panic-annex").LineAddress);
        Assert.Equal("mcp3008@0.0:CH0", result.Config.Site.Point("fence-east").LineAddress);
    }

    [Fact]
    public void Every_broken_board_reference_is_listed_at_once_with_its_path()
    {
        var result = Read(("board", "raspberry-pi-5"), ("ioBoard", "mcp-io-bord"),
            ("points:0:line", "header:2"),    // 5 V
            ("points:1:line", "header:6"),    // ground
            ("points:2:line", "header:27"),   // HAT ID EEPROM
            ("points:3:line", "header:41"),
            ("points:4:line", "GPIO71"),
            ("outputs:0:line", "IN1"));       // io board misspelled above: its pins cannot be found

        Assert.False(result.IsValid);
        var errors = result.Errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Contains("unknown I/O board 'mcp-io-bord' (did you mean 'mcp-io-board'?)", errors["EdgeGuard:ioBoard"]);
        Assert.Contains("line 'header:2' is header pin 2 (5V, power) on raspberry-pi-5, not a GPIO", errors["EdgeGuard:points:0:line"]);
        Assert.Contains("header pin 6 (GND, ground)", errors["EdgeGuard:points:1:line"]);
        Assert.Contains("header pin 27 (ID_SD, reserved)", errors["EdgeGuard:points:2:line"]);
        Assert.Contains("raspberry-pi-5 has header pins 1..40", errors["EdgeGuard:points:3:line"]);
        Assert.Contains("line 'GPIO71' is no pin of raspberry-pi-5", errors["EdgeGuard:points:4:line"]);
        Assert.Contains("line 'IN1' is no pin of raspberry-pi-5", errors["EdgeGuard:outputs:0:line"]);
        Assert.Equal(7, result.Errors.Count);
    }

    [Fact]
    public void Unknown_board_and_a_header_pin_without_a_board_are_explained()
    {
        var unknown = Read(("board", "raspberry-pi-6"));
        var io = Read(("board", "mcp-io-board"));
        var noBoard = Read(("points:0:line", "header:11"));

        Assert.Contains("unknown board 'raspberry-pi-6' (did you mean", unknown.Errors.Single().Message);
        Assert.Contains("known: raspberry-pi-4, raspberry-pi-5", unknown.Errors.Single().Message);
        Assert.Contains("'mcp-io-board' is an I/O board: name it in ioBoard", io.Errors.Single().Message);
        var error = noBoard.Errors.Single();
        Assert.Equal("EdgeGuard:points:0:line", error.Path);
        Assert.Contains("no board profile is set; add \"board\": one of raspberry-pi-4, raspberry-pi-5", error.Message);
    }

    [Fact]
    public void Two_names_for_the_same_line_are_still_one_line_used_twice()
    {
        var result = Read(("board", "raspberry-pi-4"), ("points:0:line", "header:13"), ("points:1:line", "GPIO27"));

        var error = result.Errors.Single();
        Assert.Equal("EdgeGuard:points:1:line", error.Path);
        Assert.Contains("line 27 is already used by", error.Message);
    }
}
