using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Tests.Drivers;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A chip that loses its supply and comes back is configured again with each output at the level last
/// asked for, not the last one it took: an egress release asked for while it was without power must not be
/// driven locked by the reconfiguration (found by a review: it re-energised a fail-safe maglock in a fire
/// until the controller's next retry).
/// </summary>
public sealed class ExpanderResetRequestedLevelTests : IDisposable
{
    private static readonly OutputDefinition ExitAnnex = new("lock-annex", OutputKind.Lock, -1, true, "annex", LockFailMode.FailSafe, Egress: true, NormallyLocked: true) { LineAddress = "mcp23017@0x20:B0" };
    private readonly ExpanderRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void A_release_asked_for_while_the_chip_had_no_power_is_what_its_reconfiguration_drives()
    {
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [ExitAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true }); // egress locked (lockdown / normally locked)
        bank.Start(_rig.Edges.Add);
        Assert.True(_rig.Fake.PinLevel(LockPin));

        _rig.Fake.Nack = _ => true; // supply lost: the chip answers nothing
        // A fire: the controller asks for the egress release; the write fails (it would retry every 250 ms).
        Assert.ThrowsAny<Exception>(() => outputs.Write("lock-annex", false));
        bank.Supervise();

        _rig.Fake.PowerOnReset(); // supply back: power-on reset, relay dropped (fail-safe maglock open)
        _rig.Fake.Nack = null;
        Assert.False(_rig.Fake.PinLevel(LockPin));
        bank.Supervise(); // supervision finds the reset and configures the chip again before the controller's retry

        Assert.False(_rig.Fake.PinLevel(LockPin), "the reconfigure re-energised (LOCKED) the egress lock the controller had asked to release");
    }
}
