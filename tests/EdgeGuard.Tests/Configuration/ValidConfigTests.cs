using EdgeGuard.Core.Lockdown;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Tests.Configuration;

public sealed class ValidConfigTests
{
    [Fact]
    public void Shipped_sample_is_valid_and_builds_the_expected_site()
    {
        var loaded = GatewayConfigLoader.Build(TestConfigs.SamplePath);
        Assert.Empty(loaded.Errors);

        var result = GatewayConfigReader.Read(loaded.Configuration);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Errors);
        Assert.Equal("Configuration is valid.", result.ToReport());
        var config = result.Config!;
        var site = config.Site;
        Assert.Equal("embassy-demo", site.SiteId);
        Assert.Equal("gw-chancery", site.GatewayId);
        Assert.Equal(
            [new ZoneDefinition("lobby", "Public lobby"), new ZoneDefinition("chancery", "Chancery"),
             new ZoneDefinition("perimeter", "Perimeter fence"), new ZoneDefinition("guardroom", "Guard room")],
            site.Zones);
        Assert.Equal(11, site.Points.Count);
        Assert.Equal(
            ["door-lobby", "door-chancery", "fence-north", "panic-lobby", "panic-guardroom", "tamper-gateway", "key-guardroom", "rex-lobby", "fire-panel", "key-evacuate", "key-drill"],
            site.Points.Select(p => p.Id));
        Assert.Equal(
            new PointDefinition("panic-lobby", PointKind.PanicButton, 23, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(500), "lobby"),
            site.Point("panic-lobby"));
        Assert.Equal(
            new PointDefinition("fence-north", PointKind.Perimeter, 22, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(200), "perimeter"),
            site.Point("fence-north"));
        Assert.Equal(PointKind.Keyswitch, site.Point("key-guardroom").Kind);
        Assert.Equal(PointKind.RequestToExit, site.Point("rex-lobby").Kind);

        Assert.Equal(5, site.Outputs.Count);
        Assert.Equal(
            [
                new OutputDefinition("lock-lobby", OutputKind.Lock, 12, true, "lobby", LockFailMode.FailSafe, Egress: true, NormallyLocked: false) { HardwiredExit = true },
                new OutputDefinition("lock-chancery", OutputKind.Lock, 13, true, "chancery", LockFailMode.FailSecure, Egress: false, NormallyLocked: true),
                new OutputDefinition("siren-main", OutputKind.Siren, 16, true, "guardroom"),
                new OutputDefinition("strobe-lobby", OutputKind.Strobe, 19, true, "lobby"),
                new OutputDefinition("lamp-lockdown", OutputKind.Indicator, 20, true, "guardroom"),
            ],
            site.Outputs);

        Assert.Empty(site.Lockdown.ScopeZones);
        Assert.True(site.Lockdown.Covers("perimeter"));
        Assert.Equal(TimeSpan.FromSeconds(120), site.Lockdown.SirenDuration);
        Assert.Equal(["key-guardroom"], site.Lockdown.ClearKeyswitches);
        Assert.Equal(PointKind.FireAlarm, site.Point("fire-panel").Kind);
        Assert.True(site.Point("fire-panel").ActsOnLeadingEdge);
        Assert.Equal(["key-guardroom"], site.FireReset.FireResetKeyswitches);
        Assert.Equal(["key-drill"], site.LockdownDrillTriggers);
        Assert.Equal(["siren-main"], site.DrillMutedOutputs);
        Assert.Equal(
            [(ScenarioDefinition.LockdownId, SiteMode.Lockdown, 100), ("evacuate", SiteMode.Evacuation, 200)],
            site.Scenarios.Select(s => (s.Id, s.Mode, s.Rank)));
        Assert.Equal(["panic-lobby", "panic-guardroom"], site.Scenarios[0].Triggers);
        Assert.Equal(TimeSpan.FromSeconds(600), site.Scenarios[1].SirenDuration);

        Assert.Equal(new HardwareOptions(GpioDriverKind.LibGpiod, "0"), config.Hardware);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "state"), config.StateDirectory); // "state", made absolute
        Assert.Equal(new MqttOptions(null, 1883, Tls: MqttTlsOptions.Disabled), config.Mqtt);
        Assert.Equal(Path.Combine(Path.GetTempPath(), "edgeguard-gw-chancery.sock"), config.Simulation.ControlSocket);
    }

    [Fact]
    public void Embedded_baseline_reads_the_same_as_the_shipped_sample()
    {
        var baseline = GatewayConfigReader.Read(TestConfigs.FromJson(TestConfigs.BaselineJson));
        var sample = GatewayConfigReader.Read(GatewayConfigLoader.Build(TestConfigs.SamplePath).Configuration);

        Assert.True(baseline.IsValid, baseline.ToReport());
        Assert.Equal(sample.Config!.Site.Points, baseline.Config!.Site.Points);
        Assert.Equal(sample.Config.Site.Outputs, baseline.Config.Site.Outputs);
        Assert.Equal(sample.Config.Site.Zones, baseline.Config.Site.Zones);
    }

    [Fact]
    public void Flattened_baseline_is_valid()
    {
        var result = TestConfigs.Read(_ => { });

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void Keys_and_enum_values_are_case_insensitive()
    {
        var json = TestConfigs.BaselineJson
            .Replace("\"EdgeGuard\"", "\"edgeguard\"", StringComparison.Ordinal)
            .Replace("\"debounceMs\"", "\"DEBOUNCEms\"", StringComparison.Ordinal)
            .Replace("\"activeLevel\"", "\"ActiveLevel\"", StringComparison.Ordinal)
            .Replace("\"doorContact\"", "\"DoorContact\"", StringComparison.Ordinal)
            .Replace("\"panicButton\"", "\"PANICBUTTON\"", StringComparison.Ordinal)
            .Replace("\"high\"", "\"High\"", StringComparison.Ordinal)
            .Replace("\"failSafe\"", "\"FailSafe\"", StringComparison.Ordinal)
            .Replace("\"libgpiod\"", "\"LibGpiod\"", StringComparison.Ordinal)
            .Replace("\"up\"", "\"UP\"", StringComparison.Ordinal);

        var result = GatewayConfigReader.Read(TestConfigs.FromJson(json));

        Assert.True(result.IsValid, result.ToReport());
        var lobby = result.Config!.Site.Point("door-lobby");
        Assert.Equal(PointKind.DoorContact, lobby.Kind);
        Assert.True(lobby.ActiveHigh);
        Assert.Equal(LinePull.Up, lobby.Pull);
        Assert.Equal(PointKind.PanicButton, result.Config.Site.Point("panic-lobby").Kind);
    }

    [Theory]
    [InlineData(0, PointKind.DoorContact, 25)]
    [InlineData(2, PointKind.Perimeter, 200)]
    [InlineData(3, PointKind.PanicButton, 500)]
    [InlineData(5, PointKind.Tamper, 50)]
    [InlineData(6, PointKind.Keyswitch, 50)]
    [InlineData(7, PointKind.RequestToExit, 25)]
    public void Debounce_defaults_by_kind(int index, PointKind kind, int expectedMs)
    {
        var result = TestConfigs.Read(k => k.Drop($"points:{index}:debounceMs"));

        Assert.True(result.IsValid, result.ToReport());
        var point = result.Config!.Site.Points[index];
        Assert.Equal(kind, point.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), point.Debounce);
        Assert.Equal(GatewayConfigReader.DefaultDebounce(kind), point.Debounce);
    }

    [Fact]
    public void Optional_keys_take_their_defaults()
    {
        var result = TestConfigs.Read(k =>
        {
            // Without the line's own pull the config states the one outside the gateway.
            k.Drop("points:0:pull");
            k.Set("points:0:externalPull", "up");
            k.Drop("zones:0:name");
            k.Drop("outputs:0:egress");
            k.Drop("outputs:0:hardwiredExit"); // on egress locks only
            // The fire input needs an egress lock to release: the chancery's becomes the escape door.
            k.Set("outputs:1:failMode", "failSafe");
            k.Set("outputs:1:egress", "true");
            k.Set("outputs:1:hardwiredExit", "true");
            k.Drop("outputs:0:normallyLocked");
            // Panic buttons start the lockdown, so its clear keyswitches stay (SiteSafetyConfigTests).
            k.Drop("lockdown:zones");
            k.Drop("lockdown:sirenSeconds");
            k.Drop("lockdown:drillTriggers");
            k.Drop("mqtt");
            k.Drop("simulation");
        });

        Assert.True(result.IsValid, result.ToReport());
        var config = result.Config!;
        Assert.Equal(LinePull.None, config.Site.Point("door-lobby").Pull);
        Assert.Equal(new ZoneDefinition("lobby", "lobby"), config.Site.Zones[0]);
        Assert.False(config.Site.Outputs[0].Egress);
        Assert.False(config.Site.Outputs[0].NormallyLocked);
        Assert.Empty(config.Site.Lockdown.ScopeZones);
        Assert.Equal(TimeSpan.FromSeconds(GatewayConfigReader.DefaultSirenSeconds), config.Site.Lockdown.SirenDuration);
        Assert.Equal(TimeSpan.FromSeconds(180), config.Site.Lockdown.SirenDuration);
        Assert.Empty(config.Site.LockdownDrillTriggers);
        Assert.Equal(new MqttOptions(null, 1883, Tls: MqttTlsOptions.Disabled), config.Mqtt);
        Assert.Equal(Path.Combine(Path.GetTempPath(), "edgeguard-gw-chancery.sock"), config.Simulation.ControlSocket);
    }

    [Fact]
    public void Explicit_values_are_used()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("lockdown:zones:0", "chancery");
            k.Set("lockdown:zones:1", "lobby");
            k.Set("lockdown:zones:2", "guardroom"); // the siren is there, by its panic button
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:port", "8883");
            k.Set("mqtt:tls:enabled", "false");
            k.Set("simulation:controlSocket", "/run/edgeguard/sim.sock");
            k.Set("hardware:driver", "libgpiodV2");
            k.Set("hardware:chip", "pinctrl-rp1");
        });

        Assert.True(result.IsValid, result.ToReport());
        var config = result.Config!;
        Assert.Equal(["chancery", "lobby", "guardroom"], config.Site.Lockdown.ScopeZones);
        Assert.False(config.Site.Lockdown.Covers("perimeter"));
        Assert.Equal(new MqttOptions("broker.office.example", 8883, Tls: MqttTlsOptions.Disabled), config.Mqtt);
        Assert.Equal("/run/edgeguard/sim.sock", config.Simulation.ControlSocket);
        Assert.Equal(new HardwareOptions(GpioDriverKind.LibGpiodV2, "pinctrl-rp1"), config.Hardware);
    }

    [Fact]
    public void Office_broker_over_tls_and_a_loopback_broker_with_a_password_are_both_accepted()
    {
        var office = TestConfigs.Read(k =>
        {
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:username", "gw-chancery");
            k.Set("mqtt:password", "s3cret");
            k.Set("mqtt:tls:revocation", "offline");
            k.Set("mqtt:tls:serverName", "broker.office.example");
        });
        var loopback = TestConfigs.Read(k =>
        {
            k.Set("mqtt:host", "127.0.0.1");
            k.Set("mqtt:username", "gw-chancery");
            k.Set("mqtt:password", "s3cret");
        });

        Assert.True(office.IsValid, office.ToReport());
        Assert.True(office.Config!.Mqtt.Tls!.Enabled);
        Assert.Equal(System.Security.Cryptography.X509Certificates.X509RevocationMode.Offline, office.Config.Mqtt.Tls.RevocationMode);
        Assert.True(loopback.IsValid, loopback.ToReport());
        Assert.False(loopback.Config!.Mqtt.Tls!.Enabled);
    }

    // A port in the host is refused (BrokenConfigTests), but an IPv6 literal's colons are not one: bare or
    // in brackets it connects as written, with the port from mqtt.port.
    [Theory]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("fd00::1")]
    [InlineData("[fd00::1]")]
    [InlineData("fe80::1%eth0")]
    public void An_ipv6_broker_address_bare_or_in_brackets_is_a_host(string host)
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("mqtt:host", host);
            k.Set("mqtt:tls:enabled", "false");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(host, result.Config!.Mqtt.Host);
        Assert.Equal(1883, result.Config.Mqtt.Port);
    }

    [Fact]
    public void The_broker_port_defaults_to_8883_with_tls_and_1883_without_and_an_explicit_one_wins()
    {
        static int Port(Action<Dictionary<string, string?>> mutate, bool simulate = false)
        {
            var result = TestConfigs.Read(keys =>
            {
                keys.Drop("mqtt:port"); // the baseline sets 1883
                mutate(keys);
            }, simulate);
            Assert.True(result.IsValid, result.ToReport());
            return result.Config!.Mqtt.Port;
        }

        // The office broker over TLS listens on 8883 only (deploy/office: no plain listener).
        Assert.Equal(8883, Port(k =>
        {
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:tls:enabled", "true");
        }));
        Assert.Equal(1883, Port(k =>
        {
            k.Set("mqtt:host", "broker.test.example");
            k.Set("mqtt:tls:enabled", "false");
        }));
        Assert.Equal(1883, Port(k => k.Set("mqtt:host", "127.0.0.1")));
        Assert.Equal(8884, Port(k =>
        {
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:port", "8884");
            k.Set("mqtt:tls:enabled", "true");
        }));
        Assert.Equal(1884, Port(k =>
        {
            k.Set("mqtt:host", "broker.test.example");
            k.Set("mqtt:port", "1884");
            k.Set("mqtt:tls:enabled", "false");
        }));

        // A blank host in simulate mode starts the embedded broker: plain, on loopback, at 1883.
        Assert.Equal(1883, Port(k => k.Set("mqtt:tls:enabled", "true"), simulate: true));
    }

    [Fact]
    public void Simulate_forces_the_simulated_driver_and_needs_no_hardware_section()
    {
        var configured = TestConfigs.Read(_ => { }, simulate: true);
        var withoutHardware = TestConfigs.Read(k => k.Drop("hardware"), simulate: true);
        var realWithoutHardware = TestConfigs.Read(k => k.Drop("hardware"));

        Assert.Equal(GpioDriverKind.Simulated, configured.Config!.Hardware.Driver);
        Assert.True(withoutHardware.IsValid, withoutHardware.ToReport());
        Assert.Equal(GpioDriverKind.Simulated, withoutHardware.Config!.Hardware.Driver);
        var error = Assert.Single(realWithoutHardware.Errors);
        Assert.Equal("EdgeGuard:hardware:driver", error.Path);
    }

    [Fact]
    public void Simulated_driver_needs_no_chip()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("hardware:driver", "simulated");
            k.Drop("hardware:chip");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(GpioDriverKind.Simulated, result.Config!.Hardware.Driver);
    }

    [Fact]
    public void A_point_can_be_added_with_index_keys()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("points:11:id", "door-annex");
            k.Set("points:11:kind", "doorContact");
            k.Set("points:11:line", "8");
            k.Set("points:11:activeLevel", "high");
            k.Set("points:11:externalPull", "up");
            k.Set("points:11:zone", "chancery");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(12, result.Config!.Site.Points.Count);
        Assert.Equal(
            new PointDefinition("door-annex", PointKind.DoorContact, 8, true, LinePull.None, TimeSpan.FromMilliseconds(25), "chancery"),
            result.Config.Site.Point("door-annex"));
    }

    [Fact]
    public void Egress_fail_safe_lock_and_non_egress_fail_secure_lock_are_fine()
    {
        // The baseline has exactly these two; spell it out since it is the life-safety rule's boundary.
        var result = TestConfigs.Read(_ => { });

        Assert.Contains(result.Config!.Site.Outputs, o => o is { Egress: true, FailMode: LockFailMode.FailSafe });
        Assert.Contains(result.Config.Site.Outputs, o => o is { Egress: false, FailMode: LockFailMode.FailSecure });
    }
}
