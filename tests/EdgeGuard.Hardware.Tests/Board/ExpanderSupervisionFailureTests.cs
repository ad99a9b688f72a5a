using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Tests.Drivers;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The supervision pass runs on a timer, where an escaping exception ends the process: the native panic and
/// fire lines would go with it. Whatever a pass throws that its own steps do not handle is counted, and the
/// next pass runs as usual.
/// </summary>
public sealed class ExpanderSupervisionFailureTests : IDisposable
{
    private static readonly PointDefinition Fire = new("fire-annex", PointKind.FireAlarm, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A3" };

    private readonly ExpanderRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void A_reporter_that_throws_does_not_escape_the_pass_and_the_next_pass_hands_its_events_on()
    {
        var calls = 0;
        void Report(IReadOnlyList<DomainEvent> events)
        {
            if (calls++ == 0)
            {
                throw new InvalidOperationException("the reporter failed");
            }

            _rig.Reported.AddRange(events);
        }

        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door, Fire], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, Report);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);

        _rig.Fake.Powered = false; // the harness is cut: the first pass raises the fault, and its report throws
        bank.Supervise();
        Assert.Equal(1, bank.SupervisionFailures);
        Assert.Equal("the reporter failed", bank.LastSupervisionFailure?.Message);

        bank.Supervise(); // the second failed pass in a row: fire and panic read active, the fault reaches the office
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains(_rig.Edges, e => e is { PointId: "fire-annex", High: false });
        Assert.Contains(_rig.Edges, e => e is { PointId: "panic-annex", High: false });
        Assert.Equal(1, bank.SupervisionFailures);
    }

    [Fact]
    public void A_chip_whose_supervision_throws_does_not_stop_the_others_going_fail_safe()
    {
        using var relays = new FakeMcp23017(0x21) { Powered = false }; // dead at boot, listed first
        using var bank = new ExpanderBank(_rig.Controller, [Relays, Expander], [Panic, Door, Fire], [LockAnnex, ExitLobby],
            new FakeBuses(relays, _rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true, ["lock-lobby-exit"] = false });
        bank.Start(_rig.Edges.Add);
        _rig.Reported.Clear();

        relays.Powered = true;
        relays.FailAll = new InvalidOperationException("driver bug"); // not an I/O error: its configuration throws it
        _rig.Fake.Powered = false; // and the annex harness is cut
        bank.Supervise();
        bank.Supervise();

        Assert.Equal(2, bank.SupervisionFailures);
        Assert.Contains(_rig.Edges, e => e is { PointId: "fire-annex", High: false });
        Assert.Contains(_rig.Reported, e => e is HardwareFault { Device: "mcp23017@0x20" });
    }
}
