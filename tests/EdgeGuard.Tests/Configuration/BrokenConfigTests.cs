using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// One technician mistake per case, applied to the valid baseline; each must be reported at the exact
/// key with a message that names the problem, and (where nothing else depends on it) on its own.
/// </summary>
public sealed partial class BrokenConfigTests
{
    /// <param name="Name">Case name shown by the test runner.</param>
    /// <param name="Mutate">The edit applied to the baseline keys.</param>
    /// <param name="Path">Exact configuration path the error must carry.</param>
    /// <param name="Fragments">Words the message must contain (case-insensitive).</param>
    /// <param name="Count">Total errors expected, or null where a problem legitimately cascades.</param>
    /// <param name="Simulate">Read in simulate mode.</param>
    /// <param name="LoadFiles">Read as <c>validate</c> does (the files the config names are checked).</param>
    public sealed record BrokenCase(
        string Name,
        Action<Dictionary<string, string?>> Mutate,
        string Path,
        string[] Fragments,
        int? Count = 1,
        bool Simulate = false,
        bool LoadFiles = false);

    private static readonly BrokenCase[] Cases =
    [
        // --- ids: site, gateway, zones, points, outputs ---------------------------------------
        new("missing site id", k => k.Drop("site"), "EdgeGuard:site", ["site is required"]),
        new("blank gateway id", k => k.Set("gateway", "  "), "EdgeGuard:gateway", ["gateway is required", "blank"]),
        new("site id with MQTT wildcard", k => k.Set("site", "embassy+demo"), "EdgeGuard:site", ["'embassy+demo'", "not a valid id", "MQTT"]),
        new("gateway id with a slash", k => k.Set("gateway", "gw/chancery"), "EdgeGuard:gateway", ["not a valid id", "'/'"]),
        new("point id with capitals and space", k => k.Set("points:3:id", "Panic Lobby"), "EdgeGuard:points:3:id",
            ["point 'Panic Lobby'", "not a valid id", "lowercase"]),
        new("point id with '#'", k => k.Set("points:2:id", "fence#north"), "EdgeGuard:points:2:id", ["not a valid id"]),
        new("id longer than 64", k => k.Set("points:2:id", new string('a', 65)), "EdgeGuard:points:2:id", ["longer than 64"]),
        new("duplicate point id", k => k.Set("points:1:id", "door-lobby"), "EdgeGuard:points:1:id",
            ["'door-lobby'", "already used by point 'door-lobby'", "EdgeGuard:points:0:id"]),
        new("output id same as a point id", k => k.Set("outputs:3:id", "panic-lobby"), "EdgeGuard:outputs:3:id",
            ["already used by point 'panic-lobby'", "one id namespace"]),
        new("point without id", k => k.Drop("points:4:id"), "EdgeGuard:points:4:id", ["id is required"]),
        new("zone id with capitals", k =>
            {
                k.Set("zones:3:id", "Guardroom");
                foreach (var i in new[] { 4, 5, 6, 8, 9, 10 }) { k.Set($"points:{i}:zone", "Guardroom"); }
                k.Set("outputs:2:zone", "Guardroom");
                k.Set("outputs:4:zone", "Guardroom");
            },
            "EdgeGuard:zones:3:id", ["zone 'Guardroom'", "not a valid id", "did you mean 'guardroom'"]),
        new("duplicate zone id", k => k.Set("zones:1:id", "lobby"), "EdgeGuard:zones:1:id",
            ["zone id 'lobby' is already defined", "EdgeGuard:zones:0:id"], Count: null),

        // --- unknown keys and shapes --------------------------------------------------------
        new("unknown key typo 'lne'", k => k.RenameKey("points:2:line", "lne"), "EdgeGuard:points:2:lne",
            ["unknown key 'lne'", "did you mean 'line'", "known keys here: id, kind, line, activeLevel, pull, debounceMs, zone"],
            Count: 2),
        new("unknown key 'debounce'", k => k.RenameKey("points:0:debounceMs", "debounce"), "EdgeGuard:points:0:debounce",
            ["unknown key 'debounce'", "did you mean 'debounceMs'"]),
        new("unknown root key", k => k.Set("mqqt:host", "office"), "EdgeGuard:mqqt", ["unknown key 'mqqt'", "did you mean 'mqtt'"]),
        new("unknown hardware key", k => k.Set("hardware:chips", "1"), "EdgeGuard:hardware:chips",
            ["unknown key 'chips'", "known keys here: driver, chip"]),
        new("points given as a single value", k => { k.Drop("points"); k.Set("points", "door-lobby"); },
            "EdgeGuard:points", ["must be a list", "'door-lobby'"]),
        new("clearKeyswitches given as a single value", k => { k.Drop("lockdown:clearKeyswitches"); k.Set("lockdown:clearKeyswitches", "key-guardroom"); },
            "EdgeGuard:lockdown:clearKeyswitches", ["must be a list"]),
        new("list with a non-index key", k => k.Set("outputs:main:id", "x"), "EdgeGuard:outputs:main",
            ["must be a list", "'main'", "not a list index"]),
        new("hardware given as a value", k => { k.Drop("hardware"); k.Set("hardware", "libgpiod"); },
            "EdgeGuard:hardware", ["must be an object", "driver, chip"]),
        new("line given as an object", k => { k.Drop("points:0:line"); k.Set("points:0:line:offset", "17"); },
            "EdgeGuard:points:0:line", ["single value"]),

        // --- hardware ------------------------------------------------------------------------
        new("bad driver", k => k.Set("hardware:driver", "gpiod"), "EdgeGuard:hardware:driver",
            ["'gpiod' is not valid", "simulated, libgpiod, libgpiodV2"]),
        new("bad driver even when simulating", k => k.Set("hardware:driver", "libgpoid"), "EdgeGuard:hardware:driver",
            ["not valid", "did you mean 'libgpiod'"], Simulate: true),
        new("missing driver", k => k.Drop("hardware:driver"), "EdgeGuard:hardware:driver", ["driver is required"]),
        new("missing chip for libgpiod", k => k.Drop("hardware:chip"), "EdgeGuard:hardware:chip",
            ["chip is required", "libgpiod"]),

        // --- points --------------------------------------------------------------------------
        new("point without line", k => k.Drop("points:2:line"), "EdgeGuard:points:2:line",
            ["point 'fence-north'", "line is required"]),
        new("non-numeric line", k => k.Set("points:0:line", "seventeen"), "EdgeGuard:points:0:line",
            ["'seventeen' is not a whole number"]),
        new("fractional line", k => k.Set("points:0:line", "17.5"), "EdgeGuard:points:0:line", ["not a whole number"]),
        new("line above 1023", k => k.Set("points:0:line", "1024"), "EdgeGuard:points:0:line", ["1024 is out of range", "0..1023"]),
        new("negative line", k => k.Set("points:0:line", "-1"), "EdgeGuard:points:0:line", ["out of range"]),
        new("duplicate input line", k => k.Set("points:1:line", "17"), "EdgeGuard:points:1:line",
            ["point 'door-chancery'", "line 17 is already used by point 'door-lobby'", "EdgeGuard:points:0:line"]),
        new("bad point kind", k => k.Set("points:0:kind", "doorContakt"), "EdgeGuard:points:0:kind",
            ["'doorContakt' is not valid", "did you mean 'doorContact'", "panicButton"]),
        new("missing point kind", k => k.Drop("points:0:kind"), "EdgeGuard:points:0:kind", ["kind is required"]),
        new("bad activeLevel", k => k.Set("points:0:activeLevel", "hi"), "EdgeGuard:points:0:activeLevel",
            ["'hi' is not valid", "high, low"]),
        new("missing activeLevel", k => k.Drop("points:5:activeLevel"), "EdgeGuard:points:5:activeLevel",
            ["activeLevel is required"]),
        new("bad pull", k => k.Set("points:0:pull", "pullup"), "EdgeGuard:points:0:pull", ["'pullup' is not valid", "none, up, down"]),
        // A cut cable must not silence a hold-up or keep the egress locked in a fire.
        new("normally-open panic button on a pull-up", k => k.Set("points:3:activeLevel", "low"), "EdgeGuard:points:3:activeLevel",
            ["point 'panic-lobby'", "a panicButton must read pressed when its cable is cut", "with pull 'up' and activeLevel 'low' a cut reads inactive",
             "set activeLevel 'high'", "double-EOL loop"]),
        new("fire input that reads quiet when cut", k => k.Set("points:8:pull", "down"), "EdgeGuard:points:8:activeLevel",
            ["point 'fire-panel'", "a fireAlarm must read active when its cable is cut", "with pull 'down' and activeLevel 'high'", "set activeLevel 'low'"]),
        new("normally-closed keyswitch on a pull-up", k => k.Set("points:6:activeLevel", "high"), "EdgeGuard:points:6:activeLevel",
            ["point 'key-guardroom'", "a keyswitch must read released when its cable is cut", "a cut reads active", "Wire a normally-open contact and set activeLevel 'low'"]),
        new("exit button that opens its door when cut", k => k.Set("points:7:activeLevel", "high"), "EdgeGuard:points:7:activeLevel",
            ["point 'rex-lobby'", "a requestToExit must read released when its cable is cut, or cutting it unlocks its door"]),
        new("debounce above 10 s", k => k.Set("points:2:debounceMs", "20000"), "EdgeGuard:points:2:debounceMs",
            ["20000 is out of range", "0..10000"]),
        new("unknown zone on a point", k => k.Set("points:0:zone", "lobbby"), "EdgeGuard:points:0:zone",
            ["zone 'lobbby' is not defined", "did you mean 'lobby'"]),
        new("point without zone", k => k.Drop("points:0:zone"), "EdgeGuard:points:0:zone", ["zone is required"]),
        new("no points", k => k.Drop("points"), "EdgeGuard:points",
            ["at least one point"]),
        new("no zones", k => k.Drop("zones"), "EdgeGuard:zones", ["at least one zone"]),

        // --- outputs -------------------------------------------------------------------------
        new("lock on a line used as an input", k => k.Set("outputs:0:line", "17"), "EdgeGuard:outputs:0:line",
            ["output 'lock-lobby'", "already used by input point 'door-lobby'", "both an input and an output"]),
        new("two outputs on one line", k => k.Set("outputs:3:line", "12"), "EdgeGuard:outputs:3:line",
            ["already used by output 'lock-lobby'", "EdgeGuard:outputs:0:line"]),
        new("bad output kind", k => k.Set("outputs:2:kind", "buzzer"), "EdgeGuard:outputs:2:kind",
            ["'buzzer' is not valid", "lock, siren, strobe, indicator"]),
        new("unknown zone on an output", k => k.Set("outputs:1:zone", "annex"), "EdgeGuard:outputs:1:zone",
            ["zone 'annex' is not defined"]),
        new("missing failMode on a lock", k => k.Drop("outputs:1:failMode"), "EdgeGuard:outputs:1:failMode",
            ["output 'lock-chancery'", "failMode is required", "failSafe, failSecure"]),
        new("bad failMode", k => k.Set("outputs:0:failMode", "failOpen"), "EdgeGuard:outputs:0:failMode", ["'failOpen' is not valid"]),
        new("failMode on a siren", k => k.Set("outputs:2:failMode", "failSafe"), "EdgeGuard:outputs:2:failMode",
            ["output 'siren-main'", "failMode applies only to locks", "siren"]),
        new("egress on a strobe", k => k.Set("outputs:3:egress", "false"), "EdgeGuard:outputs:3:egress",
            ["egress applies only to locks", "strobe"]),
        new("normallyLocked on an indicator", k => k.Set("outputs:4:normallyLocked", "true"), "EdgeGuard:outputs:4:normallyLocked",
            ["normallyLocked applies only to locks"]),
        new("egress lock that is failSecure", k => k.Set("outputs:0:failMode", "failSecure"), "EdgeGuard:outputs:0:failMode",
            ["egress lock must not be failSecure", "release when power is lost", "failSafe"]),
        new("'yes' as a boolean", k => k.Set("outputs:1:normallyLocked", "yes"), "EdgeGuard:outputs:1:normallyLocked",
            ["'yes' is not a boolean", "true or false"]),
        new("'1' as a boolean", k => k.Set("outputs:0:egress", "1"), "EdgeGuard:outputs:0:egress", ["not a boolean"]),

        // --- lockdown ------------------------------------------------------------------------
        new("siren seconds zero", k => k.Set("lockdown:sirenSeconds", "0"), "EdgeGuard:lockdown:sirenSeconds",
            ["0 is out of range", "1..3600"]),
        new("siren seconds above an hour", k => k.Set("lockdown:sirenSeconds", "3601"), "EdgeGuard:lockdown:sirenSeconds",
            ["3601 is out of range"]),
        new("non-numeric siren seconds", k => k.Set("lockdown:sirenSeconds", "2m"), "EdgeGuard:lockdown:sirenSeconds",
            ["not a whole number"]),
        new("unknown lockdown zone", k => k.Set("lockdown:zones:0", "annex"), "EdgeGuard:lockdown:zones:0",
            ["zone 'annex' is not defined", "lobby, chancery, perimeter, guardroom"]),
        new("clear keyswitch that is not a keyswitch", k => k.Set("lockdown:clearKeyswitches:0", "fence-north"),
            "EdgeGuard:lockdown:clearKeyswitches:0", ["'fence-north' is a perimeter, not a keyswitch"]),
        new("clear keyswitch that is an output", k => k.Set("lockdown:clearKeyswitches:0", "lock-lobby"),
            "EdgeGuard:lockdown:clearKeyswitches:0", ["output 'lock-lobby'", "not a keyswitch point"]),
        new("clear keyswitch that does not exist", k => k.Set("lockdown:clearKeyswitches:1", "key-lobby"),
            "EdgeGuard:lockdown:clearKeyswitches:1", ["no point 'key-lobby'", "keyswitch points: key-guardroom"]),

        // --- doors ---------------------------------------------------------------------------------
        new("door lock that is a siren", k => k.Set("doors:0:lock", "siren-main"), "EdgeGuard:doors:0:lock", ["output 'siren-main' is a siren, not a lock"]),
        new("door contact that is a panic button", k => k.Set("doors:0:contact", "panic-lobby"), "EdgeGuard:doors:0:contact",
            ["point 'panic-lobby' is a panicButton, not a doorContact point"]),
        new("door exit button that does not exist", k => k.Set("doors:0:requestToExit:0", "rex-annex"), "EdgeGuard:doors:0:requestToExit:0",
            ["no point 'rex-annex'", "requestToExit points: rex-lobby"]),
        new("delayed egress too long", k => { k.Set("doors:0:delayedEgressSeconds", "45"); k.Set("doors:0:relockKeyswitches:0", "key-guardroom"); },
            "EdgeGuard:doors:0:delayedEgressSeconds", ["45 is out of range"]),
        new("delayed egress without a relock key", k => { k.Set("doors:0:delayedEgressSeconds", "15"); k.Set("doors:0:localAlarm", "siren-main"); }, "EdgeGuard:doors:0:relockKeyswitches",
            ["until a person relocks it", "at least one keyswitch"]),
        new("local alarm without delayed egress", k => k.Set("doors:0:localAlarm", "siren-main"), "EdgeGuard:doors:0:localAlarm",
            ["applies only to a door with delayedEgressSeconds"]),
        new("two doors on one lock", k => { k.Set("doors:1:id", "lobby-2"); k.Set("doors:1:lock", "lock-lobby"); }, "EdgeGuard:doors:1:lock",
            ["'lock-lobby' already belongs to door 'lobby'"]),
        new("door lock that is a point", k => k.Set("doors:0:lock", "door-lobby"), "EdgeGuard:doors:0:lock",
            ["'door-lobby' is point 'door-lobby', not a lock output"]),
        new("delayed egress without a local alarm", k => { k.Set("doors:0:delayedEgressSeconds", "15"); k.Set("doors:0:relockKeyswitches:0", "key-guardroom"); },
            "EdgeGuard:doors:0:localAlarm", ["must sound a local alarm"]),
        new("unknown door key", k => k.Set("doors:0:heldOpen", "30"), "EdgeGuard:doors:0:heldOpen", ["unknown key 'heldOpen'"]),

        // --- life safety -----------------------------------------------------------------------
        new("fire input without a reset keyswitch", k => k.Drop("lifeSafety"), "EdgeGuard:lifeSafety:fireResetKeyswitches",
            ["fire inputs (fire-panel)", "name at least one keyswitch"]),
        new("fire reset by a panic button", k => k.Set("lifeSafety:fireResetKeyswitches:0", "panic-lobby"), "EdgeGuard:lifeSafety:fireResetKeyswitches:0",
            ["not a keyswitch", "reset a fire release"]),
        new("fire reset keyswitch that does not exist", k => k.Set("lifeSafety:fireResetKeyswitches:0", "key-fire"), "EdgeGuard:lifeSafety:fireResetKeyswitches:0",
            ["no point 'key-fire'"]),
        new("unknown lifeSafety key", k => k.Set("lifeSafety:fireResetKeys", "x"), "EdgeGuard:lifeSafety:fireResetKeys", ["unknown key"]),

        // --- input supervision -------------------------------------------------------------------
        new("chatter count below 3", k => k.Set("supervision:chatterTransitions", "2"), "EdgeGuard:supervision:chatterTransitions",
            ["chatterTransitions 2", "every opening and closing", "3..1000, or 0"]),
        new("chatter count above 1000", k => k.Set("supervision:chatterTransitions", "1001"), "EdgeGuard:supervision:chatterTransitions",
            ["1001 is out of range", "0..1000"]),
        new("chatter window zero", k => k.Set("supervision:chatterWindowSeconds", "0"), "EdgeGuard:supervision:chatterWindowSeconds",
            ["0 is out of range", "1..3600"]),
        new("settle time with a unit", k => k.Set("supervision:settleSeconds", "30s"), "EdgeGuard:supervision:settleSeconds",
            ["'30s' is not a whole number"]),
        new("unknown supervision key", k => k.Set("supervision:settleSecs", "30"), "EdgeGuard:supervision:settleSecs",
            ["unknown key 'settleSecs'", "chatterTransitions, chatterWindowSeconds, settleSeconds, holdSeconds"]),
        new("hold time zero", k => k.Set("supervision:holdSeconds", "0"), "EdgeGuard:supervision:holdSeconds",
            ["0 is out of range", "1..60"]),
        new("supervision given as a value", k => k.Set("supervision", "on"), "EdgeGuard:supervision", ["must be an object"]),
        new("stuck time zero", k => k.Set("points:2:stuckAfterMinutes", "0"), "EdgeGuard:points:2:stuckAfterMinutes",
            ["point 'fence-north'", "0 is out of range", "1..129600"]),
        new("stuck time in days", k => k.Set("points:1:stuckAfterMinutes", "30d"), "EdgeGuard:points:1:stuckAfterMinutes",
            ["point 'door-chancery'", "not a whole number"]),

        // --- state, simulation, mqtt ----------------------------------------------------------
        new("blank stateDirectory", k => k.Set("stateDirectory", ""), "EdgeGuard:stateDirectory", ["stateDirectory is required"]),
        new("control socket path too long", k => k.Set("simulation:controlSocket", "/tmp/" + new string('s', 120) + ".sock"),
            "EdgeGuard:simulation:controlSocket", ["at most 107 bytes"]),
        new("mqtt port zero", k => k.Set("mqtt:port", "0"), "EdgeGuard:mqtt:port", ["0 is out of range", "1..65535"]),
        new("mqtt port too big", k => k.Set("mqtt:port", "70000"), "EdgeGuard:mqtt:port", ["70000 is out of range"]),
        new("mqtt port not a number", k => k.Set("mqtt:port", "mqtt"), "EdgeGuard:mqtt:port", ["'mqtt' is not a whole number"]),
        new("mqtt host given as a URL", k => k.Set("mqtt:host", "mqtts://office.example:8883"), "EdgeGuard:mqtt:host",
            ["not a URL"]),
        // Accepted, and every connect then failed: the port was looked up as part of the name, or (in
        // brackets) dropped by the address parser while mqtt.port's default was used.
        new("mqtt host with a port", k => k.Set("mqtt:host", "office.example:8883"), "EdgeGuard:mqtt:host",
            ["host 'office.example:8883' includes a port (:8883)", "set the port with mqtt.port (\"port\": 8883)"]),
        new("mqtt IPv4 host with a port", k => k.Set("mqtt:host", "10.20.0.5:1883"), "EdgeGuard:mqtt:host",
            ["includes a port (:1883)", "mqtt.port"]),
        new("mqtt bracketed IPv6 host with a port", k => k.Set("mqtt:host", "[fd00::1]:8883"), "EdgeGuard:mqtt:host",
            ["host '[fd00::1]:8883' includes a port (:8883)", "mqtt.port"]),
        new("mqtt host with a colon and no port", k => k.Set("mqtt:host", "office.example:tls"), "EdgeGuard:mqtt:host",
            ["not a host name or an IP address", "IPv6", "mqtt.port"]),
        new("mqtt keep-alive too short", k => k.Set("mqtt:keepAliveSeconds", "1"), "EdgeGuard:mqtt:keepAliveSeconds", ["1 is out of range"]),
        new("mqtt password without username", k => k.Set("mqtt:password", "s3cret"), "EdgeGuard:mqtt:password", ["needs mqtt.username"]),
        // Only validate refuses it: run starts with the office link down (TlsFilesConfigTests).
        new("tls CA file missing", k => k.Set("mqtt:tls:caFile", "/nonexistent/ca.pem"), "EdgeGuard:mqtt:tls:caFile",
            ["'/nonexistent/ca.pem' does not exist"], LoadFiles: true),
        new("tls unknown revocation mode", k => k.Set("mqtt:tls:revocation", "sometimes"), "EdgeGuard:mqtt:tls:revocation", ["sometimes"]),
        new("tls unknown key", k => k.Set("mqtt:tls:cafile2", "x"), "EdgeGuard:mqtt:tls:cafile2", ["unknown key 'cafile2'"]),
        new("tls enabled not a boolean", k => k.Set("mqtt:tls:enabled", "yes"), "EdgeGuard:mqtt:tls:enabled", ["'yes'"]),
        new("office broker without tls", k => k.Set("mqtt:host", "broker.office.example"), "EdgeGuard:mqtt:tls",
            ["mqtt.tls is required", "'broker.office.example' is not a loopback address"]),
        new("password in clear text to an office broker", k =>
            {
                k.Set("mqtt:host", "10.20.0.5");
                k.Set("mqtt:tls:enabled", "false");
                k.Set("mqtt:username", "gw-chancery");
                k.Set("mqtt:password", "s3cret");
            }, "EdgeGuard:mqtt:username", ["clear text", "'10.20.0.5'"]),
        new("journal too small", k => k.Set("journal:maxRecords", "10"), "EdgeGuard:journal:maxRecords", ["10 is out of range"]),
        new("journal age zero", k => k.Set("journal:maxDeliveredAgeDays", "0"), "EdgeGuard:journal:maxDeliveredAgeDays", ["0 is out of range"]),

        .. BoardCases,
        .. EgressCases,
        .. SafetyCases,
    ];

    public static TheoryData<string> CaseNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Cases)
            {
                data.Add(c.Name);
            }

            return data;
        }
    }

    [Fact]
    public void Case_names_are_unique_and_there_are_enough_cases()
    {
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.True(Cases.Length >= 20);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Broken_config_is_reported_at_the_exact_key(string name)
    {
        var broken = Cases.Single(c => c.Name == name);

        var result = TestConfigs.Read(broken.Mutate, broken.Simulate, broken.LoadFiles);

        TestConfigs.AssertError(result, broken.Path, broken.Fragments);
        if (broken.Count is { } count)
        {
            Assert.True(result.Errors.Count == count,
                $"Expected {count} error(s) (no cascade), got:\n{result.ToReport()}");
        }
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_document_order()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("site");                                  // missing site id
            k.Set("hardware:driver", "gpio");                  // bad enum
            k.Set("points:1:line", "17");                      // duplicate line
            k.Set("points:3:kind", "panic");                   // bad kind
            k.RenameKey("points:5:zone", "zome");                 // typo: unknown key + missing zone
            k.Set("outputs:0:failMode", "failSecure");         // egress fail-secure
            k.Set("outputs:2:failMode", "failSafe");           // failMode on a siren
            k.Set("lockdown:sirenSeconds", "0");               // out of range
            k.Set("lockdown:clearKeyswitches:0", "fence-north"); // not a keyswitch
            k.Set("mqtt:port", "abc");                         // not a number
        });

        Assert.Null(result.Config);
        string[] expected =
        [
            "EdgeGuard:site",
            "EdgeGuard:hardware:driver",
            "EdgeGuard:points:1:line",
            "EdgeGuard:points:3:kind",
            "EdgeGuard:points:5:zome",
            "EdgeGuard:points:5:zone",
            "EdgeGuard:outputs:0:failMode",
            "EdgeGuard:outputs:2:failMode",
            "EdgeGuard:lockdown:sirenSeconds",
            "EdgeGuard:lockdown:clearKeyswitches:0",
            "EdgeGuard:mqtt:port",
        ];
        Assert.Equal(expected, result.Errors.Select(e => e.Path));

        var report = result.ToReport();
        Assert.StartsWith($"Configuration has {expected.Length} problems:\n  - EdgeGuard:site: site is required", report, StringComparison.Ordinal);
        Assert.Contains("\n  - EdgeGuard:points:1:line: point 'door-chancery': line 17 is already used by point 'door-lobby'", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_lists_the_known_keys()
    {
        var result = TestConfigs.Read(k => { k.RenameKey("outputs:0:egress", "egres"); k.Drop("outputs:0:hardwiredExit"); });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:outputs:0:egres", error.Path);
        Assert.Equal(
            "output 'lock-lobby': unknown key 'egres' (did you mean 'egress'?); known keys here: "
            + "id, kind, line, activeLevel, zone, failMode, egress, normallyLocked, hardwiredExit",
            error.Message);
    }

    [Fact]
    public void Missing_section_is_one_error()
    {
        var result = GatewayConfigReader.Read(TestConfigs.FromKeys([new("Logging:LogLevel:Default", "Information")]));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard", error.Path);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_that_follow_from_a_missing_zone_list_are_not_repeated_per_point()
    {
        var result = TestConfigs.Read(k => k.Drop("zones"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:zones", error.Path);
    }
}
