using EdgeGuard.Cli;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using Microsoft.Extensions.DependencyInjection;

using EdgeGuard.Testing;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The office's side as an operator uses it: `edgeguard keys new`, then `edgeguard command send`
/// to a running gateway over its broker, printing the gateway's answers.
/// </summary>
public sealed class CommandSendCliTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliRun.InvokeAsync(args);

    [Fact]
    public async Task An_operator_locks_the_site_down_with_edgeguard_command_send_and_sees_accepted_then_done()
    {
        using var state = new TempDirectory();
        var keys = Path.Combine(state.Path, "keys");
        Assert.Equal(ExitCodes.Ok, (await Cli("keys", "new", "--operator", "sup.jones", "--out", keys)).Code);
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides:
        [
            "EdgeGuard:commands:operators:0:name=sup.jones",
            "EdgeGuard:commands:operators:0:role=supervisor",
            $"EdgeGuard:commands:operators:0:publicKeyFile={Path.Combine(keys, "sup.jones.pub.pem")}",
        ]);
        using (var subscribed = new CancellationTokenSource(Patience))
        {
            await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        }

        var site = gateway.Config.Site;
        string[] Send(string type, params string[] extra) =>
        [
            "command", "send", type, "--key", Path.Combine(keys, "sup.jones.key.pem"), "--operator", "sup.jones",
            "--site", site.SiteId, "--gateway", site.GatewayId, "--broker", "127.0.0.1", "--port", gateway.Config.Mqtt.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--timeout", "15", .. extra,
        ];

        var (code, output, error) = await Cli(Send("lockdown"));

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Equal(["accepted", "done: lockdown running"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);

        // One supervisor alone cannot lift it: the first all-clear is counted, the site stays locked.
        var (_, first, _) = await Cli(Send("all-clear"));
        Assert.Contains("done: ", first, StringComparison.Ordinal);
        var (sameCode, same, _) = await Cli(Send("all-clear"));
        Assert.Equal(ExitCodes.Failure, sameCode);
        Assert.Contains("rejected: ", same, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
    }

    // With TLS 1.3 Mosquitto refuses a client certificate after the handshake and resets the
    // connection; MQTTnet mostly fails with "Transport endpoint is not connected" before it reads
    // the alert, which sent the operator after the network.
    [Fact]
    public async Task Send_with_a_certificate_the_broker_does_not_trust_names_the_brokers_alert()
    {
        using var state = new TempDirectory();
        var keys = Path.Combine(state.Path, "keys");
        await Cli("keys", "new", "--operator", "sup.jones", "--out", keys);
        var office = new TestPki(state.Path);
        var (brokerCert, brokerKey) = office.IssueServer();
        var rogue = new TestPki(Directory.CreateDirectory(state.File("rogue")).FullName, "rogue");
        var (cert, key) = rogue.IssueClient("office");
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = office.CaFile, CertFile = brokerCert, KeyFile = brokerKey });

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (code, _, error) = await Cli("command", "send", "lockdown", "--key", Path.Combine(keys, "sup.jones.key.pem"), "--operator", "sup.jones",
                "--site", "embassy-demo", "--gateway", "gw-chancery", "--broker", "127.0.0.1", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tls-ca", office.CaFile, "--tls-cert", cert, "--tls-key", key, "--timeout", "5");

            Assert.Equal(ExitCodes.Failure, code);
            Assert.Contains("the broker 127.0.0.1:" + broker.Port + " refused the TLS connection with the alert 'unknown ca'", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Send_without_a_reachable_broker_says_so_and_fails()
    {
        using var state = new TempDirectory();
        var keys = Path.Combine(state.Path, "keys");
        await Cli("keys", "new", "--operator", "sup.jones", "--out", keys);

        var (code, _, error) = await Cli("command", "send", "lockdown", "--key", Path.Combine(keys, "sup.jones.key.pem"), "--operator", "sup.jones",
            "--site", "embassy-demo", "--gateway", "gw-chancery", "--broker", "127.0.0.1", "--port", TestGateway.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "5");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("cannot reach the broker 127.0.0.1", error, StringComparison.Ordinal);
    }
}
