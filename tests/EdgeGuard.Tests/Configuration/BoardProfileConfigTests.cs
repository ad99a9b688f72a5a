using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// Board profiles (hardware/boards/*.json, embedded in the executable): <c>board</c> and <c>ioBoard</c> name a
/// profile, and a point's or output's <c>line</c> may name a header pin or a profile pin. Broken references are
/// reported all at once, each with its path.
/// </summary>
public sealed class BoardProfileConfigTests
{
    /// <summary>The shipped sample config with these keys overridden (null: set empty), read.</summary>
    internal static ConfigResult Read(params (string Key, string? Value)[] overrides)
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

    // A line number the board's chip does not have passed validate (only 0..1023 was checked), and the
    // run failed opening it: exit 1, which systemd restarts towards the start limit's reboot.
    [Fact]
    public void Line_numbers_the_boards_chip_or_the_simulated_chip_lacks_are_listed_at_once()
    {
        var pi5 = Read(("board", "raspberry-pi-5"), ("hardware:chip", null), ("points:0:line", "54"), ("points:1:line", "60"), ("outputs:0:line", "53"));

        Assert.False(pi5.IsValid);
        var errors = pi5.Errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Contains("line 54 is beyond raspberry-pi-5's GPIO chip, which has lines 0..53", errors["EdgeGuard:points:0:line"]);
        Assert.Contains("line 60 is beyond raspberry-pi-5's GPIO chip", errors["EdgeGuard:points:1:line"]);
        Assert.False(errors.ContainsKey("EdgeGuard:outputs:0:line"), pi5.ToReport());
        Assert.Equal(58, BoardProfile.Find("raspberry-pi-4")!.ChipLines);

        // Another chip named: the profile's line count is not its.
        Assert.True(Read(("board", "raspberry-pi-5"), ("hardware:chip", "gpiochip9"), ("points:0:line", "54")).IsValid);

        var simulatedConfig = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            ["EdgeGuard:points:0:line=70", "EdgeGuard:hardware:driver=simulated"]);
        Assert.Contains(GatewayConfigReader.Read(simulatedConfig.Configuration).Errors,
            e => e.Path == "EdgeGuard:points:0:line" && e.Message.Contains("line 70 is beyond the simulated chip, which has lines 0..63", StringComparison.Ordinal));
        // Without a board profile the real chip's size is the kernel's to know: 70 is left to the run,
        // also when --simulate forces the simulated driver for a verb that opens no line (the journal
        // verbs read a real site's config so). run and validate --simulate open them on the simulated chip.
        var real = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), ["EdgeGuard:points:0:line=70"]);
        Assert.DoesNotContain(GatewayConfigReader.Read(real.Configuration).Errors, e => e.Path == "EdgeGuard:points:0:line");
        Assert.DoesNotContain(GatewayConfigReader.Read(real.Configuration, simulate: true, use: ConfigUse.Paths).Errors, e => e.Path == "EdgeGuard:points:0:line");
        Assert.Contains(GatewayConfigReader.Read(real.Configuration, simulate: true).Errors,
            e => e.Path == "EdgeGuard:points:0:line" && e.Message.Contains("line 70 is beyond the simulated chip", StringComparison.Ordinal));
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
            ("points:4:line", "GPIO71"),      // on no shipped profile: wrong whichever I/O board was meant
            ("outputs:0:line", "OUT1"));      // a pin of the misspelled I/O board: reported once, at ioBoard

        Assert.False(result.IsValid);
        var errors = result.Errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Contains("unknown I/O board 'mcp-io-bord' (did you mean 'mcp-io-board'?)", errors["EdgeGuard:ioBoard"]);
        Assert.Contains("line 'header:2' is header pin 2 (5V, power) on raspberry-pi-5, not a GPIO", errors["EdgeGuard:points:0:line"]);
        Assert.Contains("header pin 6 (GND, ground)", errors["EdgeGuard:points:1:line"]);
        Assert.Contains("header pin 27 (ID_SD, reserved)", errors["EdgeGuard:points:2:line"]);
        Assert.Contains("raspberry-pi-5 has header pins 1..40", errors["EdgeGuard:points:3:line"]);
        Assert.Contains("line 'GPIO71' is no pin of raspberry-pi-5", errors["EdgeGuard:points:4:line"]);
        // The misspelled ioBoard is reported once; its pins are not reported again as unknown (the defect was a
        // cascade: one error per IN/OUT/LOOP pin, each misleadingly saying it is no pin of the host board).
        Assert.DoesNotContain("EdgeGuard:outputs:0:line", errors.Keys);
        Assert.Equal(6, result.Errors.Count);
    }

    // "header:27" and "ID_SD" were refused, but 0, the same BCM line, was accepted: a lock wired to the
    // HAT ID EEPROM, which the firmware reads at every boot.
    [Theory]
    [InlineData("raspberry-pi-4")]
    [InlineData("raspberry-pi-5")]
    public void A_line_number_on_a_reserved_pin_of_the_named_board_is_refused_like_its_pin_name(string board)
    {
        var result = Read(("board", board), ("hardware:chip", null), ("points:0:line", "0"), ("outputs:0:line", "1"));

        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:points:0:line"
            && e.Message.Contains($"line 0 is header pin 27 (ID_SD, reserved) on {board}, not a GPIO", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:outputs:0:line"
            && e.Message.Contains($"line 1 is header pin 28 (ID_SC, reserved) on {board}, not a GPIO", StringComparison.Ordinal));
        // An expander's interrupt line is a host GPIO input like a point's.
        Assert.Contains(ReadAnnex($"board={board}", "hardware:chip=", "expanders:0:interruptLine=0").Errors, e => e.Path == "EdgeGuard:expanders:0:interruptLine"
            && e.Message.Contains($"line 0 is header pin 27 (ID_SD, reserved) on {board}, not a GPIO", StringComparison.Ordinal));
        // Line 0 of another chip is not the header's BCM 0; without a board the line is the kernel's to know.
        Assert.True(Read(("board", board), ("hardware:chip", "gpiochip9"), ("points:0:line", "0")).IsValid);
        Assert.True(Read(("points:0:line", "0")).IsValid);
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
    public void A_misspelled_io_board_is_the_only_error_however_many_of_its_pins_are_used()
    {
        var result = Read(("board", "raspberry-pi-4"), ("ioBoard", "mcp-io-bord"),
            ("points:0:line", "IN1"), ("points:1:line", "IN2"), ("points:2:line", "LOOP1"), ("outputs:0:line", "OUT1"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:ioBoard", error.Path);
        Assert.Contains("unknown I/O board 'mcp-io-bord' (did you mean 'mcp-io-board'?)", error.Message);
    }

    [Theory]
    [InlineData("points:0:line")]
    [InlineData("outputs:0:line")]
    public void A_header_pin_with_only_an_io_board_is_an_error_not_a_dropped_item(string key)
    {
        // The defect: ioBoard alone counted as "a board is named", so header:N was excused as if the board were
        // misspelled: no error, and the panic button or siren silently left out of the site.
        var result = ReadAnnex("ioBoard=mcp-io-board", $"{key}=header:11");

        var error = Assert.Single(result.Errors);
        Assert.Equal($"EdgeGuard:{key}", error.Path);
        Assert.Contains("line 'header:11' is a header pin, but no board profile is set (ioBoard mcp-io-board has no header)", error.Message);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("raspberry-pi-4", null)]
    [InlineData(null, "mcp-io-board")]
    [InlineData("raspberry-pi-4", "mcp-io-board")]
    [InlineData("raspberry-pi-44", null)]
    [InlineData(null, "mcp-io-bord")]
    [InlineData("raspberry-pi-44", "mcp-io-board")]
    [InlineData("raspberry-pi-5", "mcp-io-bord")]
    public void No_point_or_output_is_ever_left_out_of_the_site_without_an_error(string? board, string? ioBoard)
    {
        string[] lines = ["header:11", "header:2", "header:99", "header:x", "GPIO17", "GPIO8", "GPIO71", "IN1", "OUT1", "LOOP1", "IN9", "17", "mcp23017@0x20:B7", "mcp23017@0x20:A0", "mcp3008@0.0:CH0"];
        foreach (var key in new[] { "points:1:line", "outputs:1:line" })
        {
            foreach (var line in lines)
            {
                string[] profiles = [.. new[] { ("board", board), ("ioBoard", ioBoard) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={p.Item2}")];
                var result = ReadAnnex([.. profiles, $"{key}={line}"]);

                // Read throws if an item is dropped without an error; and a valid site holds every item.
                if (result.IsValid)
                {
                    Assert.Equal(6, result.Config!.Site.Points.Count);
                    Assert.Equal(3, result.Config.Site.Outputs.Count);
                }
                else
                {
                    // The error is the line's own, the other item's it collides with, or the misspelled profile's.
                    Assert.Contains(result.Errors, e => e.Path.EndsWith(":line", StringComparison.Ordinal) || e.Path is "EdgeGuard:board" or "EdgeGuard:ioBoard");
                }
            }
        }
    }

    [Theory]
    [InlineData("points:0:line", "OUT8", "an output (relay driver) of the I/O board: a point must be on an input pin")]
    [InlineData("points:0:line", "mcp23017@0x20:B7", "an output (relay driver) of the I/O board")]
    [InlineData("outputs:0:line", "IN8", "an input of the I/O board: driving it could damage the board")]
    [InlineData("outputs:0:line", "mcp23017@0x20:A7", "an input of the I/O board")]
    public void An_io_board_pin_used_against_its_role_is_refused(string key, string line, string expected)
    {
        var result = ReadAnnex("ioBoard=mcp-io-board", $"{key}={line}");

        var error = Assert.Single(result.Errors);
        Assert.Equal($"EdgeGuard:{key}", error.Path);
        Assert.Contains(expected, error.Message);
    }

    // fence-west moved off its ADC channel onto an expander pin with its eol block left behind: validate
    // passed, and the technician believed a plain digital input supervised (a cut cable read as a state).
    [Theory]
    [InlineData("IN3")]
    [InlineData("mcp23017@0x20:A2")]
    public void An_eol_block_on_an_expander_pin_is_refused(string line)
    {
        var result = ReadAnnex("ioBoard=mcp-io-board", $"points:5:line={line}", "points:5:activeLevel=high", "points:5:pull=up");

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:points:5:eol", error.Path);
        Assert.Contains($"eol applies only to a point read through an ADC channel (line 'mcp3008@0.0:CH2'), and line '{line}' is an expander pin", error.Message);
    }

    // Without the board profile the annex's own chips still take their buses: its expanders I2C1,
    // its ADC SPI0 with both chip selects (the kernel's SPI0 driver claims GPIO7 and GPIO8).
    [Theory]
    [InlineData("2", "GPIO2")]
    [InlineData("3", "GPIO3")]
    [InlineData("7", "GPIO7")]
    [InlineData("8", "GPIO8")]
    [InlineData("11", "GPIO11")]
    [InlineData("header:26", "GPIO7")]
    [InlineData("GPIO10", "GPIO10")]
    public void With_an_io_board_fitted_its_bus_pins_are_refused_for_native_points_and_outputs(string line, string pin)
    {
        var point = ReadAnnex("ioBoard=mcp-io-board", "board=raspberry-pi-5", $"points:0:line={line}");
        var output = ReadAnnex("ioBoard=mcp-io-board", $"outputs:2:line={line}");
        var without = ReadAnnex("board=raspberry-pi-5", $"points:0:line={line}");

        Assert.Contains($"({pin}), taken by the I2C/SPI bus of ioBoard mcp-io-board", Assert.Single(point.Errors).Message);
        Assert.Equal("EdgeGuard:outputs:2:line", Assert.Single(output.Errors).Path);
        Assert.Contains($"({pin}), taken by the I2C/SPI bus of the expanders and ADCs configured", Assert.Single(without.Errors).Message);
    }

    [Fact]
    public void The_io_board_sample_validates_with_its_board_named()
    {
        // It fits the I/O board: no native point or output may sit on the board's bus pins.
        var result = ReadAnnex("ioBoard=mcp-io-board", "board=raspberry-pi-5");

        Assert.True(result.IsValid, result.ToReport());
    }

    private static ConfigResult ReadAnnex(params string[] overrides)
    {
        var loaded = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json"),
            [.. overrides.Select(o => $"EdgeGuard:{o}")]);
        return GatewayConfigReader.Read(loaded.Configuration);
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
