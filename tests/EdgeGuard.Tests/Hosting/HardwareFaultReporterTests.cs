using EdgeGuard.Configuration;
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
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json");

    [Fact]
    public void A_report_after_the_gateway_was_disposed_does_not_throw()
    {
        var state = Directory.CreateTempSubdirectory("eg-reporter-").FullName;
        try
        {
            var loaded = GatewayConfigLoader.Build(Sample, [$"EdgeGuard:stateDirectory={state}"]);
            var config = GatewayConfigReader.Read(loaded.Configuration, simulate: true).Config!;
            var host = GatewayHost.Build(config, loaded.Configuration);
            var reporter = host.Services.GetRequiredService<HardwareFaultReporter>();
            host.Dispose();

            var exception = Record.Exception(() => reporter.Report([new HardwareFault(DateTimeOffset.UtcNow, "io-board", "a late poll")]));

            Assert.Null(exception);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
