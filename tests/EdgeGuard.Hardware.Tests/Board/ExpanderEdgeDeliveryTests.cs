using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
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

        var opened = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(1, true); // the door opens: INTA falls, the callback reads the chip, the action throws
        Assert.Empty(_rig.Edges);
        Assert.Equal(0, _throwsLeft);

        _rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        bank.Supervise();
        // Stamped when the door opened, not at the retry: the receiver's debounce measures between stamps.
        Assert.Equal([new RawEdge("door-annex", true, opened)], _rig.Edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains("the edge action failed 1 time", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("Cannot access a disposed object", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("the edges it did not take have been delivered since", fault.Reason, StringComparison.Ordinal);
        AssertNoFastPoll(); // the retry is no evidence against the interrupt line

        bank.Supervise();
        bank.Supervise();
        // Again after the second and third sweeps: an unannounced change raises the line fault only at the
        // second sweep that finds one, so the check after the first pass alone could not see it.
        AssertNoFastPoll();
        Assert.Single(_rig.Edges); // delivered once, not again at every pass
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
    }

    [Fact]
    public void A_kept_edge_refused_again_at_its_retry_keeps_its_original_stamp()
    {
        using var bank = Started();
        _throwsLeft = 2; // the callback's delivery and the first pass's retry

        var opened = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(1, true); // the door opens; the action throws
        _rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        bank.Supervise(); // the retry throws too
        Assert.Empty(_rig.Edges);
        Assert.Equal(0, _throwsLeft);

        _rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        bank.Supervise();
        Assert.Equal([new RawEdge("door-annex", true, opened)], _rig.Edges);
    }

    [Fact]
    public void Edges_after_the_one_that_threw_in_the_same_read_are_delivered_too_and_in_order()
    {
        using var bank = Started();
        _throwsLeft = 1;

        // A press, the door, then the release, before the chip is read (the host line held high): one read
        // captures the press (INTCAP), then finds the button released and the door open (in pin order: the
        // chip does not say which of those two came first).
        _rig.IntWired = false;
        _rig.Fake.SetPin(0, false);
        _rig.Fake.SetPin(1, true);
        _rig.Fake.SetPin(0, true);
        _rig.IntWired = true; // INTA asserted: the falling edge the callback services; the press throws
        Assert.Empty(_rig.Edges);
        Assert.Equal(0, _throwsLeft);

        bank.Supervise();
        Assert.Equal([("panic-annex", false), ("panic-annex", true), ("door-annex", true)],
            _rig.Edges.Select(e => (e.PointId, e.High)));
        bank.Supervise();
        Assert.Equal(3, _rig.Edges.Count);
    }

    [Fact]
    public void A_refused_panic_press_released_before_the_next_read_is_still_delivered_then_its_release()
    {
        using var bank = Started();
        _throwsLeft = 1;

        var pressed = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(0, false); // the press: the callback reads it, the action throws
        Assert.Empty(_rig.Edges);
        _rig.Time.Advance(TimeSpan.FromMilliseconds(120));
        var released = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(0, true); // released: the level is back where the receiver last took it

        // The release's interrupt is the retry: the press first, with its own stamp, then the release.
        Assert.Equal([new RawEdge("panic-annex", false, pressed), new RawEdge("panic-annex", true, released)], _rig.Edges);
        bank.Supervise();
        Assert.Equal(2, _rig.Edges.Count);
        Assert.Contains("the edge action failed 1 time", Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void The_next_interrupt_delivers_a_refused_edge_before_its_own()
    {
        using var bank = Started();
        _throwsLeft = 1;

        _rig.Fake.SetPin(1, true); // the door opens; the action throws
        _rig.Fake.SetPin(0, false); // a panic press: its interrupt retries the door first, no supervision pass
        Assert.Equal([("door-annex", true), ("panic-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void Refused_edges_beyond_the_cap_are_counted_lost_and_the_level_still_arrives()
    {
        using var bank = Started();
        _throwsLeft = int.MaxValue;

        var presses = (Mcp23017Lines.MaxRefusedEdges / 2) + 3; // 70 edges: 6 more than are kept
        for (var i = 0; i < presses; i++)
        {
            _rig.Fake.SetPin(0, false);
            _rig.Fake.SetPin(0, true);
        }

        _rig.Fake.SetPin(0, false); // held at the end: the level the receiver must come to
        bank.Supervise();
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Contains($"{Mcp23017Lines.MaxRefusedEdges} edge(s) it did not take are kept", fault.Reason, StringComparison.Ordinal);
        // How many: of the 7 edges beyond the cap, each press is dropped and counted, and its pin put back to
        // released, so its release's read finds no change to make an edge of: 4 pulses lost, one count each. The
        // pass's sweep derives the held press again from the put-back level; it was counted at its own read.
        Assert.Contains("; 4 edge(s) lost (more than 64 kept)", fault.Reason, StringComparison.Ordinal);

        _throwsLeft = 0;
        bank.Supervise();
        Assert.Equal(Mcp23017Lines.MaxRefusedEdges + 1, _rig.Edges.Count); // the kept ones, then the held level
        Assert.All(_rig.Edges.Take(Mcp23017Lines.MaxRefusedEdges), e => Assert.Equal("panic-annex", e.PointId));
        Assert.Equal(new[] { false, true }, _rig.Edges.Take(2).Select(e => e.High));
        Assert.False(_rig.Edges[^1].High);
        bank.Supervise();
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
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
        Assert.Contains("1 edge(s) it did not take are kept", fault.Reason, StringComparison.Ordinal);
        AssertNoFastPoll();
        var triedBefore = int.MaxValue - _throwsLeft;
        Assert.InRange(triedBefore, 10, 12); // the callback's, then one a pass: retried at the supervision pace

        _throwsLeft = 0; // the action works again
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal([("panic-annex", false)], _rig.Edges.Select(e => (e.PointId, e.High)));
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.Single(_rig.Edges);
    }

    [Fact]
    public void A_refused_press_is_delivered_once_the_action_works_though_the_chip_no_longer_answers()
    {
        using var bank = Started();
        _throwsLeft = int.MaxValue;

        var pressed = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(0, false); // a panic press: the callback reads it, the action throws
        _rig.Fake.Nack = _ => true; // then the bus hangs: no read of the chip succeeds from here on
        _rig.Time.Advance(ExpanderBank.SupervisionInterval); // the pass that found it silent: the fault only
        Assert.Empty(_rig.Edges);
        Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));

        // The action works again while the chip still does not answer: the kept press needs no read.
        _throwsLeft = 0;
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        var blind = _rig.Time.GetTimestamp(); // the second failed pass in a row: the chip is taken as lost
        // The kept press first, then the door at its fail-safe level (open): the chip is blind
        // (ExpanderLostTests); the panic button already holds its fail-safe level, so no second edge.
        Assert.Equal([new RawEdge("panic-annex", false, pressed), new RawEdge("door-annex", true, blind)], _rig.Edges);
        _rig.Time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal(2, _rig.Edges.Count); // once
        Assert.Single(_rig.Reported); // the chip's fault stands while it does not answer
    }

    [Fact]
    public void A_refused_press_is_retried_by_the_first_failed_pass_not_a_pass_later()
    {
        using var bank = Started();
        _throwsLeft = int.MaxValue;
        var pressed = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(0, false); // a panic press: the callback reads it, the action throws
        _throwsLeft = 0; // the action works again
        _rig.Fake.Nack = _ => true; // and a glitch fails the next pass

        _rig.Time.Advance(ExpanderBank.SupervisionInterval);

        Assert.Equal([new RawEdge("panic-annex", false, pressed)], _rig.Edges); // the press, no fail-safe level yet
    }

    [Fact]
    public void A_refused_press_is_delivered_once_the_action_works_while_configuring_a_reset_chip_keeps_failing()
    {
        using var bank = Started();
        _throwsLeft = int.MaxValue;

        var pressed = _rig.Time.GetTimestamp();
        _rig.Fake.SetPin(0, false); // a panic press: the callback reads it, the action throws
        _rig.Fake.PowerOnReset();
        _rig.Fake.Nack = written => written[0] == 0x14; // it answers reset, but configuring it fails at OLATA
        bank.Supervise();
        Assert.Empty(_rig.Edges);
        Assert.Contains("configuring it again failed",
            Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Reason, StringComparison.Ordinal);

        _throwsLeft = 0;
        bank.Supervise();
        // The kept press first, then the door at its fail-safe level (open): a chip whose configuration
        // keeps failing is as blind as one that does not answer.
        Assert.Equal([new RawEdge("panic-annex", false, pressed), new RawEdge("door-annex", true, _rig.Time.GetTimestamp())], _rig.Edges);
        bank.Supervise();
        Assert.Equal(2, _rig.Edges.Count);
    }

    /// <summary>No read for a while shorter than a supervision pass: the interrupt line is trusted (no fast poll).</summary>
    private void AssertNoFastPoll()
    {
        _rig.Fake.ClearTransactions();
        _rig.Time.Advance(Mcp23017Lines.FastPollInterval * 4);
        Assert.Empty(_rig.Fake.Transactions);
    }
}
