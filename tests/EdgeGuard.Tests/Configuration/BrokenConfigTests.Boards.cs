namespace EdgeGuard.Tests.Configuration;

/// <summary>The I/O-board cases of <see cref="BrokenConfigTests"/>: expanders, ADCs, supervised loops, bus pins.</summary>
public sealed partial class BrokenConfigTests
{
    // A property, not a field: Cases (in the other file) reads it while the type initialises.
    private static BrokenCase[] BoardCases =>
    [
        new("expander pin on an undefined expander", k => k.Set("points:0:line", "mcp23017@0x21:A3"), "EdgeGuard:points:0:line",
            ["'mcp23017@0x21:A3'", "expander 'mcp23017@0x21'", "no expanders are configured"]),
        new("expander pin used twice", k =>
            {
                WithExpander(k);
                k.Set("points:0:line", "mcp23017@0x20:A3");
                k.Set("points:1:line", "mcp23017@0x20:a3");
            },
            "EdgeGuard:points:1:line", ["'mcp23017@0x20:A3' is already used by point 'door-lobby'", "EdgeGuard:points:0:line"]),
        new("pull down on an expander pin", k =>
            {
                WithExpander(k);
                k.Set("points:0:line", "mcp23017@0x20:A1");
                k.Set("points:0:pull", "down");
            },
            "EdgeGuard:points:0:pull", ["not available on an expander pin", "only pull-ups"]),
        new("expander interrupt line is a point's line", k => WithExpander(k, interruptLine: 17), "EdgeGuard:points:0:line",
            ["line 17 is already used by expander 'mcp23017@0x20'", "EdgeGuard:expanders:0:interruptLine", "two inputs cannot share a line"]),
        new("expander interrupt line is an output's line", k => WithExpander(k, interruptLine: 12), "EdgeGuard:outputs:0:line",
            ["line 12 is already used by", "expander 'mcp23017@0x20'", "both an input and an output"]),
        // Requesting SDA as a GPIO takes the I2C bus from the expander itself: it would read dead at
        // every boot, its points at their fail-safe level (fire latched, lockdown started).
        new("expander interrupt line on the I2C bus it is read through", k => WithExpander(k, interruptLine: 2), "EdgeGuard:expanders:0:interruptLine",
            ["line 2 is", "taken by the I2C/SPI bus of the expanders and ADCs configured", "bus pins: header 3, 5"]),
        new("native point on the SPI bus of an ADC", k => { WithLoop(k); k.Set("points:0:line", "10"); }, "EdgeGuard:points:0:line",
            ["line 10 is", "taken by the I2C/SPI bus of the expanders and ADCs configured", "header 19, 21, 23, 24, 26)"]),
        new("expander interrupt line on the SPI bus of an ADC", k => { WithLoop(k); WithExpander(k, interruptLine: 9); },
            "EdgeGuard:expanders:0:interruptLine", ["line 9 is", "header 3, 5, 19, 21, 23, 24, 26)"]),
        new("expander id with an impossible address", k => { WithExpander(k); k.Set("expanders:0:id", "mcp23017@0x30"); },
            "EdgeGuard:expanders:0:id", ["'mcp23017@0x30'", "AA = 20..27"]),
        new("expander pin that does not exist", k => { WithExpander(k); k.Set("points:0:line", "mcp23017@0x20:C9"); },
            "EdgeGuard:points:0:line", ["pin 'C9' is not A0..A7 or B0..B7"]),
        new("line naming an unknown chip", k => k.Set("points:0:line", "pca9555@0x20:A3"), "EdgeGuard:points:0:line",
            ["'pca9555@0x20:A3'", "names no known chip", "mcp23017@0x20:A3", "mcp3008@0.0:CH2"]),
        new("supervised loop without eol", k => { WithLoop(k); k.Drop("points:2:eol"); }, "EdgeGuard:points:2:eol",
            ["eol is required", "doubleEol"]),
        new("eol thresholds out of order", k => { WithLoop(k); k.Set("points:2:eol:shortMax", "600"); k.Set("points:2:eol:normalMax", "400"); },
            "EdgeGuard:points:2:eol", ["normalMax (400) must be greater than shortMax (600)"]),
        new("double EOL without alarmMax", k => { WithLoop(k); k.Drop("points:2:eol:alarmMax"); }, "EdgeGuard:points:2:eol",
            ["alarmMax is required for double-EOL wiring"]),
        new("eol wiring typo", k => { WithLoop(k); k.Set("points:2:eol:wiring", "double"); }, "EdgeGuard:points:2:eol:wiring",
            ["'double' is not valid", "did you mean 'doubleEol'"]),
        new("activeLevel on a supervised loop", k => { WithLoop(k); k.Set("points:2:activeLevel", "high"); }, "EdgeGuard:points:2:activeLevel",
            ["activeLevel does not apply to a supervised loop"]),
        new("supervised loop on an undefined ADC", k => { WithLoop(k); k.Set("points:2:line", "mcp3008@0.1:CH2"); }, "EdgeGuard:points:2:line",
            ["ADC 'mcp3008@0.1'", "not defined", "defined adcs: mcp3008@0.0"]),
        new("ADC channel as an output line", k => { WithLoop(k); k.Set("outputs:2:line", "mcp3008@0.0:CH3"); }, "EdgeGuard:outputs:2:line",
            ["ADC channel", "can only be read"]),
        new("eol on a GPIO point", k => k.Set("points:0:eol:wiring", "doubleEol"), "EdgeGuard:points:0:eol",
            ["eol applies only to a point read through an ADC channel", "line '17' is a GPIO line"]),
        new("eol on an expander pin", k => { WithExpander(k); k.Set("points:0:line", "mcp23017@0x20:A2"); k.Set("points:0:eol:wiring", "doubleEol"); },
            "EdgeGuard:points:0:eol", ["eol applies only to a point read through an ADC channel", "line 'mcp23017@0x20:A2' is an expander pin"]),
        // On a single-EOL loop one cable fault reads as "alarm", which for these two kinds means
        // "operated": a cut or bridged cable would clear a lockdown or unlock a door.
        new("keyswitch on a single-EOL series loop", k => { WithLoop(k); OnLoop(k, "points:6", "singleEolSeries"); },
            "EdgeGuard:points:6:eol:wiring", ["point 'key-guardroom'", "a keyswitch needs 'doubleEol'", "on 'singleEolSeries' a cut cable reads as the key turned"]),
        new("exit button on a single-EOL parallel loop", k => { WithLoop(k); OnLoop(k, "points:7", "singleEolParallel"); },
            "EdgeGuard:points:7:eol:wiring", ["point 'rex-lobby'", "a requestToExit needs 'doubleEol'", "a bridged cable reads as the button pressed, unlocking its door"]),
        // A loop's change needs two agreeing polls: polled slower than every 33 ms, a 100 ms press can hold
        // two polls only, and one of them skipped or late loses it.
        new("panic button on an ADC polled too slowly", k => { WithLoop(k); OnDoubleLoop(k, "points:3", "CH3"); k.Set("adcs:0:pollMs", "200"); },
            "EdgeGuard:adcs:0:pollMs", ["point 'panic-lobby'", "pollMs 200", "at most 33 ms", "100 ms press", "one of them is skipped or late"]),
        new("panic button on an ADC polled at the old 50 ms", k => { WithLoop(k); OnDoubleLoop(k, "points:3", "CH3"); k.Set("adcs:0:pollMs", "50"); },
            "EdgeGuard:adcs:0:pollMs", ["point 'panic-lobby'", "pollMs 50", "at most 33 ms", "holds 3 polls and 2 of them"]),
        new("fire input on an ADC polled too slowly", k => { WithLoop(k); OnDoubleLoop(k, "points:8", "CH4"); k.Set("adcs:0:pollMs", "34"); },
            "EdgeGuard:adcs:0:pollMs", ["point 'fire-panel'", "pollMs 34", "at most 33 ms"]),
    ];

    [Fact]
    public void Panic_and_fire_loops_at_33_ms_or_the_default_and_a_perimeter_only_adc_at_10_s_are_valid()
    {
        var fast = TestConfigs.Read(k =>
        {
            WithLoop(k);
            OnDoubleLoop(k, "points:3", "CH3");
            OnDoubleLoop(k, "points:8", "CH4");
            k.Set("adcs:0:pollMs", "33");
        });
        Assert.True(fast.IsValid, fast.ToReport());

        // No pollMs: the default (25 ms) must pass the panic/fire bound without a setting.
        var byDefault = TestConfigs.Read(k =>
        {
            WithLoop(k);
            OnDoubleLoop(k, "points:3", "CH3");
            OnDoubleLoop(k, "points:8", "CH4");
        });
        Assert.True(byDefault.IsValid, byDefault.ToReport());
        Assert.Equal(TimeSpan.FromMilliseconds(25), Assert.Single(byDefault.Config!.Board.Adcs).PollInterval);

        var slow = TestConfigs.Read(k => { WithLoop(k); k.Set("adcs:0:pollMs", "10000"); });
        Assert.True(slow.IsValid, slow.ToReport());
    }

    /// <summary>Moves a GPIO point onto a double-EOL loop on <paramref name="channel"/> of <c>mcp3008@0.0</c>.</summary>
    private static void OnDoubleLoop(Dictionary<string, string?> k, string point, string channel)
    {
        OnLoop(k, point, "doubleEol");
        k.Set($"{point}:line", $"mcp3008@0.0:{channel}");
        k.Set($"{point}:eol:normalMax", "599");
        k.Set($"{point}:eol:alarmMax", "818");
    }

    [Fact]
    public void A_keyswitch_and_an_exit_button_on_double_EOL_loops_are_valid()
    {
        var result = TestConfigs.Read(k =>
        {
            WithLoop(k);
            foreach (var (point, channel) in new[] { ("points:6", "CH3"), ("points:7", "CH4") })
            {
                OnLoop(k, point, "doubleEol");
                k.Set($"{point}:line", $"mcp3008@0.0:{channel}");
                k.Set($"{point}:eol:normalMax", "599");
                k.Set($"{point}:eol:alarmMax", "818");
            }
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(["fence-north", "key-guardroom", "rex-lobby"], result.Config!.Board.Loops.Select(l => l.PointId).Order(StringComparer.Ordinal));
    }

    /// <summary>Moves a GPIO point onto channel 3 of <c>mcp3008@0.0</c> (see <see cref="WithLoop"/>) with single-EOL <paramref name="wiring"/>.</summary>
    private static void OnLoop(Dictionary<string, string?> k, string point, string wiring)
    {
        k.Set($"{point}:line", "mcp3008@0.0:CH3");
        k.Drop($"{point}:activeLevel");
        k.Drop($"{point}:pull");
        k.Set($"{point}:eol:wiring", wiring);
        k.Set($"{point}:eol:shortMax", "341");
        k.Set($"{point}:eol:normalMax", "682");
    }

    /// <summary>Adds the expander <c>mcp23017@0x20</c> on I2C bus 1 with its INT on <paramref name="interruptLine"/>.</summary>
    private static void WithExpander(Dictionary<string, string?> k, int interruptLine = 4)
    {
        k.Set("expanders:0:id", "mcp23017@0x20");
        k.Set("expanders:0:bus", "1");
        k.Set("expanders:0:interruptLine", interruptLine.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Moves fence-north (points:2) onto a double-EOL loop on channel 2 of <c>mcp3008@0.0</c>, and
    /// key-drill (points:10) off GPIO7, which the ADC's SPI bus then takes.
    /// </summary>
    private static void WithLoop(Dictionary<string, string?> k)
    {
        k.Set("adcs:0:id", "mcp3008@0.0");
        k.Set("points:10:line", "18");
        k.Set("points:2:line", "mcp3008@0.0:CH2");
        k.Drop("points:2:activeLevel");
        k.Drop("points:2:pull");
        k.Set("points:2:eol:wiring", "doubleEol");
        k.Set("points:2:eol:shortMax", "341");
        k.Set("points:2:eol:normalMax", "599");
        k.Set("points:2:eol:alarmMax", "818");
    }
}
