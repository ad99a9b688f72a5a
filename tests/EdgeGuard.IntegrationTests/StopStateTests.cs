using EdgeGuard.Simulation;

namespace EdgeGuard.IntegrationTests;

/// <summary>The defined output state when the process stops: an orderly stop writes nothing (hardware/README.md).</summary>
public sealed class StopStateTests
{
    [Fact]
    public async Task Stopping_the_gateway_in_a_lockdown_leaves_every_output_at_its_last_level_without_a_write()
    {
        using var state = new TempDirectory();
        var gateway = await TestGateway.StartAsync(state.Path);
        await gateway.PlayAsync(Scenario.Parse("press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nexpect output siren-main on", "lockdown"), TimeSpan.FromSeconds(5));
        var driver = gateway.Driver; // the simulated chip outlives the process's use of it, like real hardware
        var lines = gateway.Config.Site.Outputs.ToDictionary(o => o.Id, o => o.Line);
        var before = lines.ToDictionary(l => l.Key, l => (Level: driver.GetOutputLevel(l.Value), Writes: driver.WriteCount(l.Value)));

        await gateway.DisposeAsync();

        foreach (var (id, line) in lines)
        {
            Assert.Equal(before[id].Level, driver.GetOutputLevel(line));
            Assert.Equal(before[id].Writes, driver.WriteCount(line));
        }

        Assert.True(before["lock-lobby"].Level, "the maglock stays energised: a stop must not unlock a lockdown");
    }
}
