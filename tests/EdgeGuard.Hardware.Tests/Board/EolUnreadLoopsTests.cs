using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The ADC's fault names the loops it leaves unread (<see cref="HardwareFault.Points"/>: an egress door
/// whose exit buttons are all among them is released), exactly those: one loop whose readings do not
/// settle must not unlock the doors of the others, and the fault is raised anew when the set changes.
/// </summary>
public sealed class EolUnreadLoopsTests
{
    private const int Normal = 470;
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly bool[] _dead = new bool[2];

    private static SupervisedLoop Loop(string id, int channel) =>
        new(new PointDefinition(id, PointKind.RequestToExit, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = $"mcp3008@0.0:CH{channel}" },
            channel, new EolLoopClassifier(DoubleEol));

    // A dead channel fails every transfer; a live one reads normal.
    private EolLoopLines Lines() =>
        new("mcp3008@0.0", channel => _dead[channel] ? throw new HardwareException($"no answer on channel {channel}") : Normal,
            TimeSpan.FromMilliseconds(25), [Loop("rex-a", 0), Loop("rex-b", 1)], _time, _reported.AddRange);

    private void Polls(EolLoopLines lines, int count = 2 * EolLoopLines.MaxUnsettledPolls)
    {
        for (var i = 0; i < count; i++)
        {
            lines.Poll();
        }
    }

    [Fact]
    public void The_fault_names_only_the_loops_it_cannot_read_and_is_raised_anew_when_they_change()
    {
        using var lines = Lines();
        lines.Start(_ => { });
        Assert.False(lines.Read("rex-a"));
        Assert.False(lines.Read("rex-b"));

        _dead[0] = true;
        Polls(lines);
        Assert.Equal(["rex-a"], Assert.IsType<HardwareFault>(Assert.Single(_reported)).Points);

        _dead[1] = true; // the other loop lost too, under the standing fault: named
        Polls(lines);
        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _reported.Select(e => e.Type));
        Assert.Equal(["rex-a", "rex-b"], Assert.IsType<HardwareFault>(_reported[^1]).Points);

        _dead[0] = false; // the first reads again: no longer named, its door locked again
        Polls(lines);
        Assert.Equal(["rex-b"], Assert.IsType<HardwareFault>(_reported[^1]).Points);
        Assert.IsType<HardwareFaultRestored>(_reported[^2]);

        _dead[1] = false;
        Polls(lines);
        Assert.IsType<HardwareFaultRestored>(_reported[^1]);
        Assert.Equal(6, _reported.Count);
    }

    [Fact]
    public void A_boot_read_that_fails_names_the_loops_not_read_yet_and_the_first_polls_narrow_it()
    {
        using var lines = Lines();
        _dead[0] = true;

        Assert.False(lines.Read("rex-a")); // fail-safe: not pressed
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal(["rex-a", "rex-b"], fault.Points); // rex-b is not read yet: not known readable
        Assert.False(lines.Read("rex-b"));

        lines.Start(_ => { });
        Polls(lines);

        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _reported.Select(e => e.Type));
        Assert.Equal(["rex-a"], Assert.IsType<HardwareFault>(_reported[^1]).Points);
    }
}
