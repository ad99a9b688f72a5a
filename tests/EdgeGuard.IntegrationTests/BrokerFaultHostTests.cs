using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The office's broker refuses the gateway (its password was changed on one side only): the whole
/// gateway journals one fault.broker, logs it, and the office reads it, and its end, once the
/// broker lets the gateway in again.
/// </summary>
public sealed class BrokerFaultHostTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/embassy-demo/gw-chancery/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_gateway_the_broker_refuses_journals_one_broker_fault_and_the_office_reads_it_once_let_in()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Passwords = Passwords("last-years-password") });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", credentials: ("office", "office-password"));
        await using var gateway = await GatewayProcess.StartAsync(
            state.Path,
            broker.Port,
            config => config["EdgeGuard"]!["mqtt"]!["username"] = "gw-chancery",
            new Dictionary<string, string> { ["EdgeGuard__mqtt__password"] = "s3cret" });

        await Eventually.TrueAsync(() => gateway.JournaledEvents().Any(e => e.Type == "fault.broker"), Patience, "fault.broker in the journal");
        await Eventually.TrueAsync(() => gateway.Output.Contains("fault.broker", StringComparison.Ordinal), Patience, "fault.broker in the gateway's log");
        Assert.Empty(office.Receipts);

        await broker.ReloadPasswordsAsync(Passwords("s3cret"));
        var fault = await office.WaitForAsync(r => r.Topic == Events && Type(r) == "fault.broker", Patience, "fault.broker at the office");
        var restored = await office.WaitForAsync(r => r.Topic == Events && Type(r) == "fault.broker-restored", Patience, "fault.broker-restored at the office");
        output.WriteLine(fault.Text);
        output.WriteLine(restored.Text);

        Assert.Equal("alarm", fault.Json.GetProperty("severity").GetString());
        Assert.True(fault.Json.GetProperty("replayed").GetBoolean()); // journaled before the connection
        Assert.Equal("the broker refused the connection: NotAuthorized (135)", fault.Json.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal("info", restored.Json.GetProperty("severity").GetString());
        Assert.True(restored.Json.GetProperty("data").GetProperty("refusals").GetInt64() >= 1);
        Assert.True(restored.Json.GetProperty("seq").GetInt64() > fault.Json.GetProperty("seq").GetInt64());
        Assert.Single(gateway.JournaledEvents(), e => e.Type == "fault.broker");
    }

    private static string? Type(Receipt receipt) => receipt.Json.GetProperty("type").GetString();

    // The gateway's entry (with the password given) and the office's.
    private static Dictionary<string, string> Passwords(string gateway) => new() { ["gw-chancery"] = gateway, ["office"] = "office-password" };
}
