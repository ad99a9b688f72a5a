using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CapturedLog = EdgeGuard.IntegrationTests.MissingTlsFileHostTests.CapturedLog;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// An operator's public key file is gone (a wiped key directory, a key handed over badly):
/// <c>run</c> must still arm the site and obey a panic button. Before, the config check refused to
/// start and systemd restarted it into the same refusal forever, leaving the doors of the site
/// without their controller for the sake of one office credential. That operator's commands are
/// refused (<c>key-unavailable</c>), never accepted unverified; the others' work; the file is read
/// again at their next command, so putting it back needs no restart.
/// </summary>
public sealed class MissingOperatorKeyHostTests
{
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task With_one_operators_key_missing_the_site_is_protected_their_commands_are_refused_and_the_others_obeyed()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path, "sup.jones");
        using var smith = await OfficeOperator.CreateAsync(state.Path, "sup.smith");
        var keptAside = smith.PublicKeyFile + ".aside";
        File.Move(smith.PublicKeyFile, keptAside);
        var log = new CapturedLog();
        await using var gateway = await StartSubscribedAsync(state.Path, [.. jones.Overrides(0), .. smith.Overrides(1)], log);
        var site = gateway.Config.Site;
        var root = $"edgeguard/v1/{site.SiteId}/{site.GatewayId}";
        await using var events = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, $"{root}/events", "office-events", persistent: false);
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, root);
        Assert.Equal(SiteMode.Normal, gateway.Controller.Current!.Mode);

        // Smith's lockdown is refused with the reason, and the site does not move on it.
        var problem = $"file '{smith.PublicKeyFile}' does not exist";
        var refused = Assert.Single(await office.SendAndWaitAsync(smith.Sign(CommandType.Lockdown, site.SiteId, site.GatewayId), "smith-1", timeout: Patience));
        Assert.Equal("rejected", refused.Result);
        Assert.StartsWith("key-unavailable: ", refused.Reason, StringComparison.Ordinal);
        // Anyone on the broker can draw this answer: the reason, not where the keys are kept.
        Assert.Contains("(the key file does not exist)", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(smith.PublicKeyFile, refused.Reason, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Normal, gateway.Controller.Current!.Mode);

        // The site is protected locally all the same.
        await gateway.PlayAsync(
            Scenario.Parse(
                "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nexpect output siren-main on\nrelease panic-lobby",
                "panic with an operator key missing"),
            ExpectTimeout);

        // Jones's key loaded: his command is verified and carried out.
        var accepted = await office.SendAndWaitAsync(jones.Sign(CommandType.Lockdown, site.SiteId, site.GatewayId), "jones-1", count: 2, timeout: Patience);
        Assert.Equal(["accepted", "done"], accepted.Select(r => r.Result));

        // Said once to the office, in the log and on the status line.
        var keys = gateway.Host.Services.GetRequiredService<OperatorKeyFiles>();
        var status = SystemdComposition.StatusLine(gateway.Controller, gateway.Host.Services.GetService<OutboxPublisher>(), operatorKeys: keys);
        Assert.StartsWith($"OFFICE COMMANDS OF 'sup.smith' REFUSED: {problem} (put it back; no restart needed); mode lockdown", status, StringComparison.Ordinal);
        var critical = Assert.Single(log.Entries, e => e.Level == LogLevel.Critical && e.Category == typeof(OperatorKeyFiles).FullName);
        Assert.Contains("'sup.smith'", critical.Message, StringComparison.Ordinal);
        Assert.Contains(problem, critical.Message, StringComparison.Ordinal);
        var journal = await JournalFile.InStateDirectoryOnceAsync(state.Path, "command.received", Patience);
        var fault = Assert.Single(journal, e => e.Type == "fault.operator-key");
        using (var data = System.Text.Json.JsonDocument.Parse(fault.Data))
        {
            Assert.Equal("sup.smith", data.RootElement.GetProperty("operator").GetString());
            Assert.Equal(smith.PublicKeyFile, data.RootElement.GetProperty("file").GetString());
            Assert.Equal(problem, data.RootElement.GetProperty("reason").GetString());
        }

        var rejected = Assert.Single(journal, e => e.Type == "command.rejected");
        Assert.Contains("\"rejection\":\"key-unavailable\"", rejected.Data, StringComparison.Ordinal);
        Assert.Contains("\"operator\":\"sup.smith\"", rejected.Data, StringComparison.Ordinal);

        // A technician puts the file back: smith's next command works, without a restart.
        File.Move(keptAside, smith.PublicKeyFile);
        var rebirth = await office.SendAndWaitAsync(smith.Sign(CommandType.Rebirth, site.SiteId, site.GatewayId), "smith-2", count: 2, timeout: Patience);
        Assert.Equal(["accepted", "done"], rebirth.Select(r => r.Result));
        Assert.Null(keys.Problem);
        Assert.Single(await JournalFile.InStateDirectoryOnceAsync(state.Path, "fault.operator-key-restored", Patience), e => e.Type == "fault.operator-key-restored");
        Assert.Single(JournalFile.InStateDirectory(state.Path), e => e.Type == "fault.operator-key");

        // What the office received since it subscribed (the start's fault went out before; its data
        // is checked in the journal above) is within the contract (docs/schemas).
        await events.WaitForAsync(r => r.Text.Contains("\"type\":\"fault.operator-key-restored\"", StringComparison.Ordinal), Patience, "fault.operator-key-restored at the office");
        Assert.Single(events.Receipts, r => r.Text.Contains("\"rejection\":\"key-unavailable\"", StringComparison.Ordinal));
        var capture = Path.Combine(state.Path, "capture.txt");
        await File.WriteAllLinesAsync(capture, events.Receipts.Select(r => $"{r.Topic} {r.Text}"));
        var (exitCode, report) = await ContractInteropTests.Validate(capture);
        Assert.True(exitCode == 0, report);
    }

    [Fact]
    public async Task With_every_operators_key_missing_the_gateway_runs_and_refuses_every_office_command()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path, "sup.jones");
        File.Delete(jones.PublicKeyFile);
        await using var gateway = await StartSubscribedAsync(state.Path, jones.Overrides(), new CapturedLog());
        var site = gateway.Config.Site;
        await using var office = await OfficeClient.ConnectAsync(gateway.Config.Mqtt.Port, $"edgeguard/v1/{site.SiteId}/{site.GatewayId}");

        var refused = Assert.Single(await office.SendAndWaitAsync(jones.Sign(CommandType.Lockdown, site.SiteId, site.GatewayId), "jones-1", timeout: Patience));

        Assert.Equal("rejected", refused.Result);
        Assert.StartsWith("key-unavailable: ", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Normal, gateway.Controller.Current!.Mode);
        await gateway.PlayAsync(Scenario.Parse("press panic-lobby\nexpect mode lockdown\nrelease panic-lobby", "panic, no office commands"), ExpectTimeout);
    }

    private static async Task<TestGateway> StartSubscribedAsync(string stateDirectory, IReadOnlyList<string> overrides, CapturedLog log)
    {
        var gateway = await TestGateway.StartAsync(stateDirectory, overrides: overrides, services: services => services.AddSingleton<ILoggerProvider>(log));
        using var subscribed = new CancellationTokenSource(Patience);
        await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        return gateway;
    }
}
