using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// An edge action that throws (a bug, the controller disposed at a stop) must not cost the controller a level: the
/// chip's level counts as delivered only once the action returned for it, so the next read delivers it again
/// (exactly once), and an action that keeps throwing is one <c>fault.hardware</c> for the chip, not one per pass.
/// </summary>
public sealed class ExpanderEdgeDeliveryTests : IDisposable
{
    private readonly ExpanderRig _rig = new(); // the door closed; the panic button released
    private int _throwsLeft;

    public void Dispose() => _rig.Dispose();

    private ExpanderBank Started()
    {
        var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(edge =>
        {
            if (_throwsLeft > 0)
            {
                _throwsLeft--;
                throw new ObjectDisposedException("SiteController");
            }

            _rig.Edges.Add(edge);
        });
        return bank;
    }

    [Fact]
    public void A_door_opening_whose_action_threw_once_is_delivered_by_the_next_pass_exactly_once()
    {
        using var bank = Started();
        _throwsLeft = 1;

        _rig.Fake.SetPin(1, true); // the door opens: INTA falls, the callback reads the chip, the action throws
        Assert.Empty(_rig.Edges);
        Assert.Equal(0, _throwsLeft);

        _rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        bank.Supervise();
        Assert.Equal([new RawEdge("door-annex", true, _rig.Time.GetTimestamp())], _rig.Edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains("the edge action failed 1 time", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("Cannot access a disposed object", fault.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("without an interrupt", fault.Reason, StringComparison.Ordinal);

        bank.Supervise();
        bank.Supervise();
        Assert.Single(_rig.Edges); // delivered once, not again at every pass
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
    }

    [Fact]
    public void Edges_after_the_one_that_threw_in_the_same_read_are_delivered_too_and_in_order()
    {
        using var bank = Started();
        _throwsLeft = 1;

        // Both pins change before the chip is read (the host line held high): one read, two edges.
        _rig.IntWired = false;
        _rig.Fake.SetPin(0, false);
        _rig.Fake.SetPin(1, true);
        _rig.IntWired = true; // INTA asserted: the falling edge the callback services; the first edge throws
        Assert.Empty(_rig.Edges);

        bank.Supervise();
        Assert.Equal([("panic-annex", false), ("door-annex", true)], _rig.Edges.Select(e => (e.PointId, e.High)));
        bank.Supervise();
        Assert.Equal(2, _rig.Edges.Count);
    }

    [Fact]
    public void An_action_that_keeps_throwing_is_one_fault_for_the_chip_and_the_level_arrives_once_it_works()
    {
        using var bank = Started();
        _throwsLeft = int.MaxValue;

        _rig.Fake.SetPin(0, false); // a panic press
        for (var pass = 0; pass < 10; pass++)
        {
            _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        }

        Assert.Empty(_rig.Edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)); // not one per pass
        Assert.Contains("the edge action failed", fault.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("without an interrupt", fault.Reason, StringComparison.Ordinal);
        var triedBefore = int.MaxValue - _throwsLeft;
        Assert.InRange(triedBefore, 10, 12); // the callback's, then one a pass: retried at the supervision pace

        _throwsLeft = 0; // the action works again
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal([("panic-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.Single(_rig.Edges);
    }

    private sealed class FakeBuses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException("no ADC on this board");
    }
}
