namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The watchdog kills a hung gateway with SIGABRT; with systemd-coredump installed that stores a
/// core of the process, which holds the TLS private key (and the client ids derived from it) in
/// a file readable long after. The unit forbids core dumps.
/// </summary>
public sealed class UnitCoreDumpTests
{
    [Fact]
    public void The_unit_forbids_core_dumps()
    {
        Assert.Contains("LimitCORE=0", SystemdUnit.Text().Split('\n'));
    }
}
