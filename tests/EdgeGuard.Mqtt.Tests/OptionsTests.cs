using System.Security.Cryptography.X509Certificates;
using CsCheck;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Tests;

public sealed class OptionsTests
{
    private static MqttPublisherOptions Minimal() => new() { Site = "site-1", Gateway = "gw-1", Host = "broker.office.example" };

    [Fact]
    public void Defaults_are_secure_and_bounded()
    {
        var options = Minimal();

        Assert.Empty(options.Validate());
        Assert.Equal("edgeguard-gw-1", options.ClientId);
        Assert.True(options.Tls.Enabled);
        Assert.Equal(8883, options.EffectivePort);
        Assert.Equal(1883, (options with { Tls = MqttTlsOptions.Disabled }).EffectivePort);
        Assert.Equal(TimeSpan.FromSeconds(10), options.KeepAlive);
        Assert.Equal(X509RevocationMode.Online, options.Tls.RevocationMode);
        Assert.Equal(64, options.MaxInFlight);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.StateRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.StateCheckInterval);
        Assert.True(options.ReconnectDelayMin < options.ReconnectDelayMax);
        Assert.Equal("custom", (options with { ClientId = "custom" }).ClientId);
    }

    [Fact]
    public void Validation_lists_every_problem()
    {
        var options = Minimal() with
        {
            Site = "a/b",
            Gateway = "#",
            Port = 0,
            KeepAlive = TimeSpan.Zero,
            MaxInFlight = 0,
            BatchSize = 0,
            StateRefreshInterval = TimeSpan.FromMinutes(5),
            StateCheckInterval = TimeSpan.FromMilliseconds(5),
            ReconnectDelayMin = TimeSpan.FromSeconds(5),
            ReconnectDelayMax = TimeSpan.FromSeconds(1),
            Password = "secret",
            Tls = new MqttTlsOptions { ClientCertificateFile = "/nonexistent/gw.crt" },
        };

        var errors = options.Validate();

        // 11: the client certificate without its key is one; that the file is missing is not an
        // options error (the link's state, see TlsFileTests).
        Assert.Equal(11, errors.Count);
        Assert.Contains("tls: the client certificate and its key file must be set together", errors);
        Assert.DoesNotContain(errors, e => e.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("state refresh interval", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("state check interval", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => options.ThrowIfInvalid());
    }

    // Mosquitto may drop a client at a 1 s keep-alive before MQTTnet pings (MqttPublisherOptions.Validate).
    [Theory]
    [InlineData(1000, true)]
    [InlineData(1999, true)]
    [InlineData(2000, false)]
    [InlineData(65535000, false)]
    [InlineData(65536000, true)]
    public void A_keep_alive_under_2_s_or_over_65535_s_is_refused(int milliseconds, bool refused)
    {
        var errors = (Minimal() with { KeepAlive = TimeSpan.FromMilliseconds(milliseconds) }).Validate();

        Assert.Equal(refused ? [$"keep-alive {TimeSpan.FromMilliseconds(milliseconds)} is outside 2 s to 65535 s"] : [], errors);
    }

    [Fact]
    public void Credentials_never_cross_the_network_in_clear_text()
    {
        var plain = Minimal() with { Tls = MqttTlsOptions.Disabled, Username = "gw-1", Password = "secret" };

        Assert.Contains(plain.Validate(), e => e.Contains("clear text", StringComparison.Ordinal));
        Assert.Empty((plain with { Host = "127.0.0.1" }).Validate());
        Assert.Empty((plain with { Tls = new MqttTlsOptions() }).Validate());
    }

    [Fact]
    public void The_password_never_appears_in_the_printed_options()
    {
        var options = Minimal() with { Username = "gw-1", Password = "hunter2-secret" };

        var printed = options.ToString();

        Assert.DoesNotContain("hunter2-secret", printed, StringComparison.Ordinal);
        Assert.Contains("Password = ***", printed, StringComparison.Ordinal);
        Assert.Contains("Gateway = gw-1", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void The_publisher_refuses_invalid_options_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new OutboxPublisher(
            Minimal() with { Gateway = "gw/1" }, new Infrastructure.FakeOutbox(), new Infrastructure.FakeSiteState(), () => 1,
            new RecordingSink(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxPublisher>.Instance));
    }

    [Fact]
    public void Client_options_carry_mqtt5_clean_start_and_the_retained_offline_will_with_the_session()
    {
        var options = Minimal() with { Tls = MqttTlsOptions.Disabled, Port = 1884 };

        var built = ClientOptionsFactory.Build(options, new Topics("site-1", "gw-1"), session: 12);

        Assert.Equal(MqttProtocolVersion.V500, built.ProtocolVersion);
        Assert.True(built.CleanSession);
        Assert.Equal("edgeguard-gw-1", built.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(10), built.KeepAlivePeriod);
        Assert.Equal("edgeguard/v1/site-1/gw-1/availability", built.WillTopic);
        Assert.Equal("offline"u8.ToArray(), built.WillPayload);
        Assert.True(built.WillRetain);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, built.WillQualityOfServiceLevel);
        Assert.Equal("text/plain", built.WillContentType);
        // The session, and this process's instance (ProcessInstance: two boxes on one id differ).
        Assert.Collection(
            built.WillUserProperties,
            session =>
            {
                Assert.Equal("session", session.Name);
                Assert.Equal("12", session.ReadValueAsString());
            },
            instance =>
            {
                Assert.Equal("instance", instance.Name);
                Assert.Equal(ProcessInstance.Id, instance.ReadValueAsString());
            });
        var tcp = Assert.IsType<MqttClientTcpOptions>(built.ChannelOptions);
        Assert.False(tcp.TlsOptions?.UseTls ?? false);
    }

    [Fact]
    public void Backoff_doubles_from_twice_min_to_max_with_jitter_in_the_upper_half()
    {
        var min = TimeSpan.FromMilliseconds(500);
        var max = TimeSpan.FromSeconds(30);

        Gen.Int[0, 200].Select(Gen.Double[0, 0.999999]).Sample((failures, random) =>
        {
            var delay = ReconnectBackoff.Delay(failures, min, max, random);
            var ceiling = TimeSpan.FromTicks((long)Math.Min(max.Ticks, min.Ticks * Math.Pow(2, Math.Min(failures + 1, 62))));
            Assert.InRange(delay, min, max);
            Assert.InRange(delay, ceiling / 2, ceiling);
        });
        Assert.InRange(ReconnectBackoff.Delay(int.MaxValue, min, max, 0.999999999), max - TimeSpan.FromMilliseconds(1), max);
        Assert.Equal(max / 2, ReconnectBackoff.Delay(int.MaxValue, min, max, 0));
        // The first retry is jittered too: gateways that lost the broker together spread over [min, 2 × min].
        Assert.Equal(min, ReconnectBackoff.Delay(0, min, max, 0));
        Assert.InRange(ReconnectBackoff.Delay(0, min, max, 0.999999), (min * 2) - TimeSpan.FromMilliseconds(1), min * 2);
        Assert.Equal(min * 1.5, ReconnectBackoff.Delay(0, min, max, 0.5));
        Assert.Equal(min, ReconnectBackoff.Delay(5, min, min, 0.999999));
    }
}
