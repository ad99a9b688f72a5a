using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The configuration's <c>mqtt</c> section prints without its password: a record prints every
/// property, and a log line of the options (or of the whole configuration, which holds them)
/// would have carried the broker password in clear.
/// </summary>
public sealed class MqttOptionsPrintTests
{
    [Fact]
    public void The_broker_password_never_appears_in_the_printed_mqtt_options()
    {
        var options = new MqttOptions("broker.office.example", 8883, Username: "gw-chancery", Password: "hunter2-secret");

        var printed = options.ToString();

        Assert.DoesNotContain("hunter2-secret", printed, StringComparison.Ordinal);
        Assert.Contains("Password = ***", printed, StringComparison.Ordinal);
        Assert.Contains("Username = gw-chancery", printed, StringComparison.Ordinal);
        Assert.Contains("Host = broker.office.example", printed, StringComparison.Ordinal);
        Assert.Contains("Password = (none)", (options with { Password = null }).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_broker_password_never_appears_in_the_printed_configuration()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("mqtt:host", "127.0.0.1");
            k.Set("mqtt:username", "gw-chancery");
            k.Set("mqtt:password", "hunter2-secret");
        });
        Assert.True(result.IsValid, result.ToReport());

        var printed = result.Config!.ToString();

        Assert.DoesNotContain("hunter2-secret", printed, StringComparison.Ordinal);
        Assert.Contains("Password = ***", printed, StringComparison.Ordinal);
    }
}
