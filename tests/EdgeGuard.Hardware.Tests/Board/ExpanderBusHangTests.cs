using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Tests.Drivers;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A hung bus (the kernel adapter's 1 s timeout per transaction, a slave holding SDA low) must hold only what
/// waits for that chip: supervision ticks must not pile up blocked pool threads, and an egress release on a
/// healthy chip must not wait behind the supervision of a stuck one. The stuck transaction is a gate in the
/// simulated chip (<see cref="FakeMcp23017.Hold"/>), so nothing here depends on how fast the machine is.
/// </summary>
public sealed class ExpanderBusHangTests : IDisposable
{
    // Long enough never to fail a healthy run; a call that waits for the held chip never returns in it.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly ExpanderRig _rig = new();
    private readonly FakeMcp23017 _relays = new(0x21);

    public void Dispose()
    {
        _relays.Dispose();
        _rig.Dispose();
    }

    [Fact]
    public async Task A_supervision_tick_while_a_pass_hangs_on_the_bus_returns_without_waiting()
    {
        using var bank = new ExpanderBank(_rig.Controller, [Expander], [Panic, Door], [LockAnnex], new FakeBuses(_rig.Fake, _relays), _rig.Time, _rig.Reported.AddRange);
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);

        _rig.Fake.Hold = _ => true; // the bus hangs from the next transaction on
        var first = Task.Run(bank.Supervise);
        try
        {
            Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the first pass never reached the bus");

            // The timer fires again on another pool thread: it must not queue up behind the hung pass.
            await Task.Run(bank.Supervise).WaitAsync(Bound);
            Assert.Equal(0, _rig.Fake.Held.CurrentCount); // and it never touched the bus
        }
        finally
        {
            Unhang();
        }

        await first.WaitAsync(Bound);
    }

    [Fact]
    public async Task An_egress_release_on_a_healthy_chip_does_not_wait_for_the_supervision_of_a_hung_one()
    {
        using var bank = new ExpanderBank(
            _rig.Controller, [Expander, Relays], [Panic, Door], [LockAnnex, ExitLobby], new FakeBuses(_rig.Fake, _relays), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true, ["lock-lobby-exit"] = true });
        bank.Start(_rig.Edges.Add);
        Assert.True(_relays.PinLevel(LockPin), "the exit's maglock was not locked at boot");

        _rig.Fake.Hold = _ => true; // the annex chip hangs in supervision's first read of it
        var pass = Task.Run(bank.Supervise);
        try
        {
            Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "supervision never reached the annex chip");

            // A fire: the lobby exit is released on its own chip, which answers.
            await Task.Run(() => outputs.Write("lock-lobby-exit", false)).WaitAsync(Bound);
            Assert.False(_relays.PinLevel(LockPin), "the egress door stayed locked");
            Assert.False(pass.IsCompleted, "the annex chip's pass ended early: the write was not made while it hung");
        }
        finally
        {
            Unhang();
        }

        await pass.WaitAsync(Bound);
    }

    /// <summary>Lets every held transaction through, before the bank is disposed (it waits for its pass).</summary>
    private void Unhang()
    {
        _rig.Fake.Hold = null;
        _rig.Fake.Unhold.Release(16);
    }
}
