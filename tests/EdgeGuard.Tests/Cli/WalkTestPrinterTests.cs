using EdgeGuard.Configuration;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Tests.Configuration;
using EdgeGuard.WalkTest;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Cli;

/// <summary>What the technician reads when a chip or a native line reports a hardware fault during the walk test.</summary>
public sealed class WalkTestPrinterTests
{
    [Fact]
    public void A_hardware_fault_shows_its_own_reason_and_its_restore_says_restored()
    {
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var printer = new WalkTestPrinter(site, new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 16, 0, 0, TimeSpan.Zero)), output);

        printer.Board(new HardwareFault(DateTimeOffset.UnixEpoch, "gpio17", "door-lobby: 1 edge lost: channel closed; level re-read (high)"));
        printer.Board(new HardwareFaultRestored(DateTimeOffset.UnixEpoch, "gpio17"));

        Assert.Equal(
            ["fault gpio17: door-lobby: 1 edge lost: channel closed; level re-read (high) (fault.hardware)", "fault gpio17: restored (fault.hardware-restored)"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf(" fault ", StringComparison.Ordinal) + 1)..]));
    }
}
