using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Hosting;

/// <summary>
/// Where the I/O board's supervision reports go (loop tamper, a chip that stopped answering, a native GPIO
/// line whose lost edge its resync put right). In the gateway:
/// the controller loop, which logs and reports them like its own events (journal, MQTT), so every event
/// leaves the gateway in one order, after <c>gateway.started</c>. In a walk test: the technician's screen, through
/// <see cref="WalkTest.BoardEventsAtStart"/>, which keeps what is reported while the lines are opened (a chip that
/// does not answer, the kernel's released-outputs setting) until the walk test's session exists.
/// </summary>
/// <param name="report">Receives the events; called from the board's poll timers, must only hand them on.</param>
internal sealed class HardwareFaultReporter(Action<IReadOnlyList<DomainEvent>> report)
{
    public void Report(IReadOnlyList<DomainEvent> events)
    {
        try
        {
            report(events);
        }
        catch (ObjectDisposedException)
        {
            // A poll that outlived the stop (one that began before it on a hung I²C bus): the
            // container that finds the controller is disposed, and the controller has decided its
            // last. Thrown on, it escaped the board's timer callback and aborted the process, which
            // systemd then recorded as a failed stop (HardwareFaultReporterTests).
        }
    }
}
