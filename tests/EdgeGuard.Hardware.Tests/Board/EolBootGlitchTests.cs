using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// Failed ADC transfers during the boot read (<see cref="EolLoopLines.Read"/>) and the early fire read
/// (<see cref="EolLoopLines.ReadBeforeOutputs"/>). One failed transfer (a bit error that sets the MCP3008's
/// null bit, which the driver turns into a <see cref="HardwareException"/>) is one bad sample, as it is
/// to the polls: it must not make a fire loop latch the egress release or a panic loop start a lockdown at
/// boot. The loop goes fail-safe only when the ADC keeps failing (two samples in a row, the polls' rule)
/// or no two samples agree.
/// </summary>
public sealed class EolBootGlitchTests
{
    private const int Normal = 470;

    /// <summary>A sample whose transfer fails.</summary>
    private static readonly int? Failed = null;

    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    private static PointDefinition Point(PointKind kind) =>
        new("p", kind, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };

    /// <summary>Lines whose ADC answers <paramref name="samples"/> in turn (null: the transfer fails), then normal.</summary>
    private EolLoopLines Lines(PointKind kind, params int?[] samples)
    {
        var next = 0;
        return new EolLoopLines("mcp3008@0.0",
            _ => (next < samples.Length ? samples[next++] : Normal)
                ?? throw new HardwareException("MCP3008: no answer on channel 0 (null bit not 0)"),
            TimeSpan.FromMilliseconds(25),
            [new SupervisedLoop(Point(kind), 0, new EolLoopClassifier(DoubleEol))], _time, _reported.AddRange);
    }

    [Theory]
    [InlineData(PointKind.FireAlarm)]
    [InlineData(PointKind.PanicButton)]
    public void One_failed_transfer_at_the_boot_read_is_one_bad_sample_not_a_fail_safe_level(PointKind kind)
    {
        using var lines = Lines(kind, Failed);

        Assert.False(lines.Read("p"), "one failed ADC transfer at the boot read made the loop read active (fail-safe)");
        Assert.Empty(_reported);
    }

    [Fact]
    public void One_failed_transfer_between_two_normal_samples_is_passed_over()
    {
        using var lines = Lines(PointKind.FireAlarm, Normal, Failed, Normal, Normal);

        Assert.False(lines.Read("p"));
        Assert.Empty(_reported);
    }

    [Fact]
    public void The_loop_read_normal_after_a_glitch_is_what_the_polls_compare_with()
    {
        using var lines = Lines(PointKind.FireAlarm, Failed);
        lines.Start(_edges.Add);

        Assert.False(lines.Read("p"));
        for (var i = 0; i < 4; i++)
        {
            lines.Poll();
        }

        // Recorded as a normal loop: the polls agree and deliver nothing, and no fault is restored either.
        Assert.Empty(_edges);
        Assert.Empty(_reported);
    }

    [Fact]
    public void Two_failed_transfers_in_a_row_read_fail_safe_and_report_the_adc()
    {
        using var lines = Lines(PointKind.FireAlarm, Normal, Failed, Failed);

        Assert.True(lines.Read("p"), "a fire loop whose ADC keeps failing must read active");
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal("mcp3008@0.0", fault.Device);
        Assert.Contains("no answer", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(["p"], fault.Points); // unread until it is restored: an exit button there is not seen
    }

    [Fact]
    public void Transfers_that_fail_every_other_time_never_settle_and_read_fail_safe()
    {
        using var lines = Lines(PointKind.PanicButton, Failed, Normal, Failed, Normal, Failed, Normal, Failed, Normal, Failed, Normal);

        Assert.True(lines.Read("p"), "a panic loop whose ADC fails every other transfer must read active");
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Contains("did not settle", fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_early_fire_read_passes_over_one_failed_transfer_and_gives_up_on_two_in_a_row()
    {
        using (var glitched = Lines(PointKind.FireAlarm, Failed))
        {
            Assert.False(glitched.ReadBeforeOutputs("p"), "one failed transfer made the early read unreadable");
        }

        using (var failing = Lines(PointKind.FireAlarm, Failed, Failed))
        {
            Assert.Null(failing.ReadBeforeOutputs("p"));
        }

        Assert.Empty(_reported); // the early read records and reports nothing
    }
}
