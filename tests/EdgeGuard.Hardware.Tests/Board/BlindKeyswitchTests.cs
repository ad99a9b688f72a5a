using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A keyswitch or request-to-exit reads inactive while its chip is blind (or its loop tampered). Held through
/// that, it must not arrive as a fresh turn or press when the chip answers again: a turn clears a lockdown, a
/// press unlocks a door. Its real level is recorded without an edge; only a later change counts.
/// </summary>
public sealed class BlindKeyswitchTests : IDisposable
{
    private const int IntLine = 4;
    private const int PanicPin = 0, KeyPin = 2, ExitPin = 3;

    private static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, IntLine);
    private static readonly PointDefinition Panic = new("panic-annex", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
    private static readonly PointDefinition Door = new("door-annex", PointKind.DoorContact, -1, true, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A1" };
    private static readonly PointDefinition Key = new("key-annex", PointKind.Keyswitch, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A2" };
    private static readonly PointDefinition Exit = new("rte-annex", PointKind.RequestToExit, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A3" };
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);
    private const int Normal = 470, Alarm = 700, Cut = 1023;

    private readonly ExpanderRig _rig = new();

    public BlindKeyswitchTests()
    {
        _rig.Fake.SetPin(PanicPin, true); // released (pulled up)
        _rig.Fake.SetPin(KeyPin, false); // the guard's key is turned and held
        _rig.Fake.SetPin(ExitPin, false); // the exit button is held
    }

    public void Dispose() => _rig.Dispose();

    private IEnumerable<(string, bool)> EdgesOf(params string[] points) =>
        _rig.Edges.Where(e => points.Contains(e.PointId)).Select(e => (e.PointId, e.High));

    private ExpanderBank Bank() =>
        new(_rig.Controller, [Expander], [Panic, Door, Key, Exit], [], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);

    [Fact]
    public void A_key_held_while_the_chip_was_dead_at_boot_is_no_turn_when_it_answers_but_a_new_turn_is()
    {
        _rig.Fake.Nack = _ => true;
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool>());
        bank.Start(_rig.Edges.Add);
        Assert.True(bank.Read("key-annex"), "a blind keyswitch reads inactive (high)");
        Assert.True(bank.Read("rte-annex"), "a blind request-to-exit reads inactive (high)");
        Assert.False(bank.Read("panic-annex"));
        Assert.True(bank.Read("door-annex"));

        _rig.Fake.Nack = null;
        bank.Supervise();

        // The panic button and the door still get their real levels; the held key and exit button do not turn.
        Assert.Equal([("panic-annex", true), ("door-annex", false)], EdgesOf("panic-annex", "door-annex", "key-annex", "rte-annex"));
        _rig.Fake.SetPin(KeyPin, true); // released: the receiver already holds inactive, so this changes nothing there
        _rig.Fake.SetPin(ExitPin, true);
        Assert.Equal([("key-annex", true), ("rte-annex", true)], EdgesOf("key-annex", "rte-annex"));
        _rig.Fake.SetPin(KeyPin, false); // a real new turn counts
        Assert.Equal(("key-annex", false), (_rig.Edges[^1].PointId, _rig.Edges[^1].High));
    }

    [Fact]
    public void A_key_held_when_a_failed_boot_read_ends_by_an_interrupt_is_no_turn()
    {
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool>());
        bank.Start(_rig.Edges.Add);
        _rig.Fake.Nack = _ => true;
        Assert.True(bank.Read("key-annex"));
        Assert.True(bank.Read("door-annex"));

        // The chip answers again and the first read is an interrupt (the door opens), before any supervision pass.
        _rig.Fake.Nack = null;
        _rig.Fake.SetPin(1, true);
        bank.Supervise();

        Assert.Empty(EdgesOf("key-annex"));
        _rig.Fake.SetPin(KeyPin, true);
        _rig.Fake.SetPin(KeyPin, false);
        Assert.Equal([("key-annex", true), ("key-annex", false)], EdgesOf("key-annex"));
    }

    [Fact]
    public void A_key_turned_while_the_chip_answers_is_delivered_as_before()
    {
        _rig.Fake.SetPin(KeyPin, true);
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool>());
        bank.Start(_rig.Edges.Add);
        Assert.True(bank.Read("key-annex"));

        _rig.Fake.SetPin(KeyPin, false);
        bank.Supervise();

        Assert.Equal([("key-annex", false)], EdgesOf("key-annex"));
    }

    [Fact]
    public void A_key_loop_held_while_the_adc_was_blind_or_the_loop_cut_is_no_turn_but_a_fire_loop_still_reads()
    {
        var key = new PointDefinition("key-guardroom", PointKind.Keyswitch, -1, true, LinePull.None, TimeSpan.Zero, "guardroom") { LineAddress = "mcp3008@0.0:CH0" };
        var fire = new PointDefinition("fire-annex", PointKind.FireAlarm, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH1" };
        var readings = new[] { Alarm, Normal };
        var dead = true;
        using var lines = new EolLoopLines("mcp3008@0.0", ch => dead ? throw new HardwareException("no answer") : readings[ch], TimeSpan.FromMilliseconds(50),
            [new SupervisedLoop(key, 0, new EolLoopClassifier(DoubleEol)), new SupervisedLoop(fire, 1, new EolLoopClassifier(DoubleEol))], _rig.Time, _rig.Reported.AddRange);
        lines.Start(_rig.Edges.Add);
        Assert.False(lines.Read("key-guardroom"), "a blind keyswitch reads inactive");
        Assert.True(lines.Read("fire-annex"), "a blind fire input reads active");

        dead = false;
        PollAgreeing(lines);
        Assert.Equal([("fire-annex", false)], EdgesOf("key-guardroom", "fire-annex"));

        // Released (an edge to the inactive level the receiver already holds: no change there), then a real turn.
        readings[0] = Normal;
        PollAgreeing(lines);
        readings[0] = Alarm;
        PollAgreeing(lines);
        Assert.Equal([("key-guardroom", false), ("key-guardroom", true)], EdgesOf("key-guardroom"));

        // Blind again at run time while held: inactive; the ADC answers with the key still held: no second turn.
        dead = true;
        PollAgreeing(lines);
        dead = false;
        PollAgreeing(lines);
        Assert.Equal([("key-guardroom", false), ("key-guardroom", true), ("key-guardroom", false)], EdgesOf("key-guardroom"));

        // The same after a cut loop is repaired while the key is held (the cut itself may only say inactive).
        var before = EdgesOf("key-guardroom").Count();
        readings[0] = Cut;
        PollAgreeing(lines);
        readings[0] = Alarm;
        PollAgreeing(lines);
        Assert.Contains(_rig.Reported, e => e is EolTamperRestored { PointId: "key-guardroom" });
        Assert.DoesNotContain(EdgesOf("key-guardroom").Skip(before), e => e.Item2);
        readings[0] = Normal;
        PollAgreeing(lines);
        readings[0] = Alarm;
        PollAgreeing(lines);
        Assert.Equal(("key-guardroom", true), (_rig.Edges[^1].PointId, _rig.Edges[^1].High));
    }

    /// <summary>Polls as often as a loop's new state needs to be accepted (<see cref="EolLoopLines.ConfirmingSamples"/>).</summary>
    private static void PollAgreeing(EolLoopLines lines)
    {
        for (var i = 0; i < EolLoopLines.ConfirmingSamples; i++)
        {
            lines.Poll();
        }
    }
}
