using EdgeGuard.Controller;
using EdgeGuard.Hardware;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The stop's budgets fit inside each other: the office commands' drain and the publisher's orderly
/// stop inside the host's shutdown timeout, and that with the journal's drain after it inside
/// systemd's TimeoutStopSec. The host gave all services 5 s while the publisher alone could take
/// 20 s, and systemd 20 s; later the journal's drain was left out of the sum (27 s against 20 s).
/// </summary>
public sealed class ShutdownBudgetTests
{
    [Fact]
    public void The_hosts_shutdown_timeout_holds_the_publishers_stop_and_fits_systemds()
    {
        using var host = TestGatewayHost.Build();

        var shutdown = host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;

        Assert.Equal(TimeSpan.FromSeconds(18), shutdown);
        var drain = new CommandSubscriberOptions { Broker = new MqttPublisherOptions { Site = "s", Gateway = "g", Host = "h" } }.DrainTimeout;
        // One after another: the commands' drain, the publisher, then the controller's last save and its
        // expander writers' drain.
        var all = drain + OutboxPublisher.OrderlyStopLimit + SiteController.StopSaveBudget + QueuedOutputLines.DrainTimeout;
        Assert.True(all < shutdown, $"commands {drain} + publisher {OutboxPublisher.OrderlyStopLimit} + controller "
            + $"{SiteController.StopSaveBudget} + expander writers {QueuedOutputLines.DrainTimeout} = {all} within {shutdown}");
        Assert.True(shutdown < SystemdStopTimeout(), $"{shutdown} within systemd's {SystemdStopTimeout()}");
    }

    // The journal is disposed with the host after every service stopped, and waits for its writer
    // (EventJournal.DrainTimeout): the sum above left it out, 27 s against systemd's 20 s, so a
    // SIGKILL in that drain lost the events the stop decided last (a panic pressed during the stop).
    [Fact]
    public void The_stop_with_the_journals_drain_fits_systemds_TimeoutStopSec()
    {
        var drain = new CommandSubscriberOptions { Broker = new MqttPublisherOptions { Site = "s", Gateway = "g", Host = "h" } }.DrainTimeout;
        var journalDrain = EventJournal.DrainTimeout;
        var all = drain + OutboxPublisher.OrderlyStopLimit + SiteController.StopSaveBudget + QueuedOutputLines.DrainTimeout + journalDrain;

        Assert.True(all < SystemdStopTimeout(), $"commands {drain} + publisher {OutboxPublisher.OrderlyStopLimit} + controller save "
            + $"{SiteController.StopSaveBudget} + expander writers {QueuedOutputLines.DrainTimeout} + journal drain {journalDrain} = {all}, "
            + $"systemd kills at {SystemdStopTimeout()} (host ShutdownTimeout {GatewayHost.ShutdownTimeout} does not cut synchronous stops)");
        // And when the host's timeout does end the services' stop, the journal's drain still follows it.
        Assert.True(GatewayHost.ShutdownTimeout + journalDrain < SystemdStopTimeout(),
            $"host {GatewayHost.ShutdownTimeout} + journal drain {journalDrain} within systemd's {SystemdStopTimeout()}");
    }

    // The command line waits this long after SIGTERM for the verb, then returns whatever it still
    // does: it must hold the host's stop and the journal's drain, and end before systemd kills.
    // System.CommandLine's default is 2 s. The process itself: StopGraceProcessTests (integration).
    [Fact]
    public void The_command_lines_stop_grace_holds_the_whole_stop_and_ends_before_systemd_kills()
    {
        var invocation = EdgeGuard.Cli.EdgeGuardCli.Invocation();

        Assert.Equal(GatewayHost.StopGrace, invocation.ProcessTerminationTimeout);
        Assert.True(GatewayHost.StopGrace >= GatewayHost.ShutdownTimeout + EventJournal.DrainTimeout,
            $"grace {GatewayHost.StopGrace} holds host {GatewayHost.ShutdownTimeout} + journal drain {EventJournal.DrainTimeout}");
        Assert.True(GatewayHost.StopGrace < SystemdStopTimeout(), $"grace {GatewayHost.StopGrace} within systemd's {SystemdStopTimeout()}");
    }

    // TimeoutStopSec of the unit the gateway is installed with.
    private static TimeSpan SystemdStopTimeout() => SystemdUnit.Duration(SystemdUnit.Text(), "TimeoutStopSec");
}
