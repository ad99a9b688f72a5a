using System.Text;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The gateway's MQTT client ids: derived from a secret only it holds, so nobody else can name (and take over) them.</summary>
public sealed class ClientIdsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeguard-ids-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_derived_id_is_stable_for_the_same_secret_and_differs_per_secret_gateway_and_connection()
    {
        var id = ClientIds.Derive("key-1"u8, "gw-1", "commands");

        Assert.Equal(id, ClientIds.Derive("key-1"u8, "gw-1", "commands"));
        Assert.Matches("^edgeguard-gw-1-[0-9a-f]{16}$", id);
        Assert.NotEqual(id, ClientIds.Derive("key-2"u8, "gw-1", "commands"));
        Assert.NotEqual(id[^16..], ClientIds.Derive("key-1"u8, "gw-2", "commands")[^16..]);
        Assert.NotEqual(id, ClientIds.Derive("key-1"u8, "gw-1", "publisher"));
        Assert.NotEqual("edgeguard-gw-1-commands", id);
    }

    [Fact]
    public void With_a_tls_client_key_both_ids_come_from_the_key_file_and_are_not_the_guessable_ones()
    {
        var options = WithKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

        var resolved = ClientIds.Resolve(options, out var problem);

        Assert.Null(problem);
        Assert.Equal(ClientIds.Derive(File.ReadAllBytes(options.Tls.ClientKeyFile!), "gw-1", "publisher"), resolved.ClientId);
        Assert.Equal(ClientIds.Derive(File.ReadAllBytes(options.Tls.ClientKeyFile!), "gw-1", "commands"), resolved.CommandsClientId);
        Assert.NotEqual("edgeguard-gw-1", resolved.ClientId);
        Assert.NotEqual("edgeguard-gw-1-commands", resolved.CommandsClientId);
        Assert.Equal(resolved.CommandsClientId, new CommandSubscriberOptions { Broker = resolved }.ClientId);
        // The same file at the next start: the same ids, so the command session survives it.
        Assert.Equal(resolved, ClientIds.Resolve(options, out _));
        // Another key (a rotation): other ids.
        Assert.NotEqual(resolved.CommandsClientId, ClientIds.Resolve(WithKey("another key"), out _).CommandsClientId);
    }

    [Fact]
    public void With_a_password_the_ids_come_from_it_and_never_show_it()
    {
        var options = Plain() with { Username = "gw-1", Password = "s3cret-password" };

        var resolved = ClientIds.Resolve(options, out var problem);

        Assert.Null(problem);
        Assert.Equal(ClientIds.Derive(Encoding.UTF8.GetBytes("s3cret-password"), "gw-1", "publisher"), resolved.ClientId);
        Assert.Equal(ClientIds.Derive(Encoding.UTF8.GetBytes("s3cret-password"), "gw-1", "commands"), resolved.CommandsClientId);
        Assert.NotEqual(resolved.ClientId, ClientIds.Resolve(options with { Password = "other" }, out _).ClientId);
        Assert.DoesNotContain("s3cret", resolved.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_secret_the_readable_ids_stay()
    {
        var resolved = ClientIds.Resolve(Plain(), out var problem);

        Assert.Null(problem);
        Assert.Equal("edgeguard-gw-1", resolved.ClientId);
        Assert.Equal("edgeguard-gw-1-commands", resolved.CommandsClientId);
        Assert.Equal("edgeguard-gw-1-commands", new CommandSubscriberOptions { Broker = resolved }.ClientId);
    }

    [Fact]
    public void An_id_set_explicitly_is_kept()
    {
        var options = WithKey("key") with { ClientId = "custom" };

        var resolved = ClientIds.Resolve(options, out _);

        Assert.Equal("custom", resolved.ClientId);
        Assert.Equal("custom-commands", resolved.CommandsClientId);
    }

    [Fact]
    public void A_key_file_unreadable_at_start_gives_random_ids_never_the_guessable_ones()
    {
        var options = WithKey("key") with { Tls = WithKey("key").Tls with { ClientKeyFile = Path.Combine(_folder, "missing.key") } };

        var first = ClientIds.Resolve(options, out var problem);
        var second = ClientIds.Resolve(options, out _);

        Assert.Contains("client key file", problem, StringComparison.Ordinal);
        Assert.Matches("^edgeguard-gw-1-[0-9a-f]{16}$", first.ClientId);
        Assert.Matches("^edgeguard-gw-1-[0-9a-f]{16}$", first.CommandsClientId);
        Assert.NotEqual(first.CommandsClientId, second.CommandsClientId);
    }

    [Fact]
    public async Task The_subscriber_connects_with_the_derived_commands_id()
    {
        var options = WithKey("key") with { Tls = MqttTlsOptions.Disabled, Username = "gw-1", Password = "pw", Host = "127.0.0.1" };
        var expected = ClientIds.Resolve(options, out _);
        await using var commands = new Infrastructure.CommandHarness(null, brokerPort: 1, broker: options);

        Assert.Equal(expected.CommandsClientId, commands.Subscriber!.Options.ClientId);
        Assert.Equal(expected.CommandsClientId, commands.Subscriber.ConnectOptions().ClientId);
    }

    private static MqttPublisherOptions Plain() => new() { Site = "site-1", Gateway = "gw-1", Host = "127.0.0.1", Tls = MqttTlsOptions.Disabled };

    private MqttPublisherOptions WithKey(string key)
    {
        var path = Path.Combine(_folder, $"gw-{Guid.NewGuid():N}.key");
        File.WriteAllText(path, key);
        return new MqttPublisherOptions
        {
            Site = "site-1",
            Gateway = "gw-1",
            Host = "broker.office.example",
            Tls = new MqttTlsOptions { CaCertificateFile = Path.Combine(_folder, "ca.crt"), ClientCertificateFile = Path.Combine(_folder, "gw.crt"), ClientKeyFile = path },
        };
    }
}
