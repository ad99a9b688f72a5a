using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
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
    public void A_reporter_that_throws_does_not_escape_the_pass_and_the_next_pass_still_goes_fail_safe()
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

        _rig.Fake.Powered = false; // the harness is cut: the first pass reports a fault, and the report throws
        bank.Supervise();
        Assert.Equal(1, bank.SupervisionFailures);
        Assert.Equal("the reporter failed", bank.LastSupervisionFailure?.Message);

        bank.Supervise(); // the second failed pass in a row: fire and panic read active
        Assert.Contains(_rig.Edges, e => e is { PointId: "fire-annex", High: false });
        Assert.Contains(_rig.Edges, e => e is { PointId: "panic-annex", High: false });
        Assert.Equal(1, bank.SupervisionFailures);
    }
}
