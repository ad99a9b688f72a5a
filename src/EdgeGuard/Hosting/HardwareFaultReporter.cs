using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Hosting;

/// <summary>
/// Where the I/O board's supervision reports go (loop tamper, a chip that stopped answering): the
/// controller loop, which logs and reports them like its own events (journal, MQTT), so every event
/// leaves the gateway in one order, after <c>gateway.started</c>. They come from the board's poll
/// timers; the controller is resolved at the first report because it depends on the board's lines.
/// </summary>
internal sealed class HardwareFaultReporter(IServiceProvider services)
{
    public void Report(IReadOnlyList<DomainEvent> events) =>
        services.GetRequiredService<SiteController>().ReportFromOutside(events);
}
