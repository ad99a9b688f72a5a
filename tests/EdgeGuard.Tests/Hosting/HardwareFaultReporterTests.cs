using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The I/O board's supervision reports from its poll timers, through the gateway's registration,
/// which finds the controller in the container: a report after the host was disposed (a poll that
/// began before the stop on a hung bus) threw ObjectDisposedException out of a timer callback,
/// which ends the process.
/// </summary>
public sealed class HardwareFaultReporterTests
{
    [Fact]
    public void A_report_after_the_gateway_was_disposed_does_not_throw()
    {
        using var gateway = TestGatewayHost.Build();
        var reporter = gateway.Services.GetRequiredService<HardwareFaultReporter>();
        gateway.Host.Dispose(); // the using disposes it again at the end: a second Dispose does nothing

        var exception = Record.Exception(() => reporter.Report([new HardwareFault(DateTimeOffset.UtcNow, "io-board", "a late poll")]));

        Assert.Null(exception);
    }
}
