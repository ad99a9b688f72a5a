using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Tests.Drivers;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The boot read (<see cref="EolLoopLines.Read"/>) of a loop whose polls already run, as the controller
/// does it: it starts the inputs, lets them settle, takes its boot stamp, then reads every point one after
/// another (seconds, when an earlier point's bus hangs). It starts each point at the level read and then
/// applies the queued edges stamped after its boot stamp. A poll that delivered a change after that stamp,
/// undone before the point was read, must not leave the controller at the change for good.
/// </summary>
public sealed class EolBootReadTests
{
    private const int Normal = OneEolLoop.Normal, Alarm = OneEolLoop.Alarm, Cut = OneEolLoop.Cut;

    private readonly OneEolLoop _loop = new();
    private readonly FakeMcp3008 _adc;
    private readonly List<DomainEvent> _reported;
    private readonly List<RawEdge> _edges;

    public EolBootReadTests() => (_adc, _reported, _edges) = (_loop.Adc, _loop.Reported, _loop.Edges);

    /// <summary>
    /// A loop of <paramref name="kind"/> reading <paramref name="reading"/>, started and settled as the
    /// controller's boot has it; <paramref name="bootStamp"/> is taken after the settle.
    /// </summary>
    private EolLoopLines Settled(PointKind kind, int reading, out long bootStamp)
    {
        _adc[0] = reading;
        var lines = _loop.Lines(kind);
        lines.Start(_edges.Add);
        Polls(2); // the inputs settle
        bootStamp = _loop.Time.GetTimestamp();
        return lines;
    }

    private void Polls(int count) => _loop.Polls(count);

    /// <summary>The level the controller ends at: the boot read's, then every edge stamped after its boot stamp.</summary>
    private bool Held(bool read, long bootStamp) =>
        _edges.Where(e => e.Timestamp > bootStamp).Aggregate(read, (_, edge) => edge.High);

    [Theory]
    [InlineData(Normal, Alarm)] // a door closed shown open; a panic released held
    [InlineData(Alarm, Normal)] // a door open shown closed: no forced or held-open alarm
    public void A_change_delivered_after_the_boot_stamp_and_undone_before_the_read_is_delivered_back(int settled, int change)
    {
        using var lines = Settled(PointKind.DoorContact, settled, out var bootStamp);

        // While the controller reads the points before this one, the loop changes for two polls (delivered,
        // stamped after the boot stamp) and changes back before it is read.
        _adc[0] = change;
        Polls(2);
        Assert.Contains(_edges, e => e.Timestamp > bootStamp);
        _adc[0] = settled;
        var read = lines.Read("p");
        Assert.Equal(settled == Alarm, read);

        Polls(4);
        Assert.Equal(settled == Alarm, Held(read, bootStamp));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_release_delivered_after_the_boot_stamp_then_the_adc_blind_at_the_read_ends_fail_safe()
    {
        using var lines = Settled(PointKind.FireAlarm, Alarm, out var bootStamp);

        // The fire loop goes back to normal after the boot stamp (delivered), then the ADC stops answering.
        _adc[0] = Normal;
        Polls(2);
        _adc.Absent = true;
        Assert.True(lines.Read("p"), "a fire loop that cannot be read must read active");

        // Still blind: the controller must end at the fail-safe level (egress released), not at the release.
        Polls(4);
        Assert.True(Held(true, bootStamp), "a blind fire loop was left held as normal");
    }

    [Fact]
    public void A_key_turned_after_the_boot_stamp_then_the_adc_blind_at_the_read_is_released_when_it_reads_again()
    {
        using var lines = Settled(PointKind.Keyswitch, Normal, out var bootStamp);

        // The key is turned after the boot stamp (delivered); the ADC is blind at the read (a keyswitch's
        // fail-safe level is inactive), then answers again with the key released.
        _adc[0] = Alarm;
        Polls(2);
        _adc.Absent = true;
        Assert.False(lines.Read("p"));
        _adc.Absent = false;
        _adc[0] = Normal;

        // A key read released after the blindness has nothing that could count as a turn: its level is
        // delivered, or the controller holds the key turned until the next turn, which it would then miss.
        Polls(4);
        Assert.False(Held(false, bootStamp), "a released key was left held as turned");
    }

    // The boot read found the key turned, as the polls had before the boot stamp; between, a cut loop had
    // delivered the fail-safe level (inactive). The read wiped the mark that level leaves, so the next
    // poll delivered the key held throughout as a fresh turn: clearing a lockdown, resetting a fire.
    [Fact]
    public void A_key_held_through_a_cut_before_the_boot_read_is_not_delivered_as_a_fresh_turn()
    {
        using var lines = Settled(PointKind.Keyswitch, Alarm, out var bootStamp); // the key is turned and held

        _adc[0] = Cut; // the loop is cut for two polls: its fail-safe level, inactive, delivered after the stamp
        Polls(2);
        _adc[0] = Alarm; // mended, the key still held
        Assert.True(lines.Read("p"));

        Polls(4);
        Assert.DoesNotContain(_edges.Where(e => e.Timestamp > bootStamp).SkipWhile(e => e.High), e => e.High);
    }

    // The polls had accepted the fire loop normal; the ADC was blind at the boot read, which gave the fail-safe
    // level (fire active). That read left the normal state accepted, so a single poll reading normal again ended
    // the fail-safe: a failed poll's blindness takes two agreeing polls to leave.
    [Fact]
    public void After_a_blind_boot_read_the_fail_safe_ends_only_when_two_polls_agree()
    {
        using var lines = Settled(PointKind.FireAlarm, Normal, out var bootStamp);

        _adc.Absent = true;
        Assert.True(lines.Read("p"), "a fire loop that cannot be read must read active");
        _adc.Absent = false;

        Polls(1);
        Assert.DoesNotContain(_edges, e => e.Timestamp > bootStamp);
        Polls(1);
        Assert.False(Held(true, bootStamp), "two polls that read the loop normal again did not end the fail-safe");
    }
}
