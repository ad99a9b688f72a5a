using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using EdgeGuard.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Simulation;

/// <summary>
/// The whole simulated gateway (shipped config plus a bond sensor on the normally locked chancery door)
/// boots with the monitor holding and raises no <c>door.lock-fault</c>: before, every simulated start
/// raised one 3 s after boot. A monitor set inactive by hand is a fault until the door next changes.
/// </summary>
public sealed class SimulatedLockMonitorsGatewayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("failSafe")] // locked only once the boot drives the maglock: the monitor must follow the boot
    [InlineData("failSecure")]
    public async Task A_normally_locked_door_boots_with_its_monitor_holding_and_a_fault_is_simulated_by_hand(string failMode)
    {
        await using var host = await StartAsync(failMode);
        var controller = host.Services.GetRequiredService<SiteController>();
        var journal = host.Services.GetRequiredService<EventJournal>();
        await Eventually.TrueAsync(() => controller.Current is { } s && s.IsActive("bond-chancery") && s.Doors.GetValueOrDefault("chancery")?.LockMismatch is null, Patience, "the chancery's monitor holds, as its lock does");

        // Past the grace from boot: no fault was pending, and none comes.
        await Task.Delay(LockMonitoring.Grace + TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(await TypesAsync(journal), t => t.StartsWith("door.lock-fault", StringComparison.Ordinal));
        Assert.True(controller.Current!.IsActive("bond-chancery"));

        // A technician simulates an armature that lets go: it sticks, and is reported after the grace.
        var sim = host.Services.GetRequiredService<SimulatorControlServer>();
        Assert.StartsWith("ok", sim.Execute("deactivate bond-chancery"), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => controller.Current!.Doors.GetValueOrDefault("chancery")?.LockFault == LockCondition.NotEngaged, Patience, "the simulated fault is reported");

        // The door opened and closed again: the lock bonds, and the fault is restored.
        Assert.StartsWith("ok", sim.Execute("open door-chancery"), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => controller.Current!.IsActive("door-chancery") && !controller.Current.IsActive("bond-chancery"), Patience, "the door opens");
        Assert.StartsWith("ok", sim.Execute("close door-chancery"), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => controller.Current!.IsActive("bond-chancery") && controller.Current.Doors.GetValueOrDefault("chancery")?.LockFault is null, Patience, "the lock bonds again");
        Assert.Contains("door.lock-fault-restored", await TypesAsync(journal));
    }

    private static async Task<List<string>> TypesAsync(EventJournal journal)
    {
        await journal.FlushAsync().WaitAsync(Patience);
        return [.. journal.ReadAfter(0, 1000).Select(r => r.Type)];
    }

    // The shipped config with the chancery's lock monitored by a bond sensor on line 8.
    private static Task<TestGatewayHost> StartAsync(string failMode) => TestGatewayHost.StartAsync(
    [
        $"EdgeGuard:outputs:1:failMode={failMode}",
        "EdgeGuard:points:11:id=bond-chancery",
        "EdgeGuard:points:11:kind=lockMonitor",
        "EdgeGuard:points:11:line=8",
        "EdgeGuard:points:11:activeLevel=high",
        "EdgeGuard:points:11:pull=down",
        "EdgeGuard:points:11:zone=chancery",
        "EdgeGuard:doors:1:id=chancery",
        "EdgeGuard:doors:1:lock=lock-chancery",
        "EdgeGuard:doors:1:contact=door-chancery",
        "EdgeGuard:doors:1:lockMonitor=bond-chancery",
        "EdgeGuard:doors:1:heldOpenSeconds=30",
        "EdgeGuard:doors:1:releaseSeconds=5",
    ]);
}
