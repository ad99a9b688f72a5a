using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The gateway's expander outputs (<see cref="ExpanderBank.OpenOutputWriters"/>): the chips are configured
/// at the boot levels before it returns, and every later write is applied by the chip's writer, so a write
/// that hangs on the bus never holds the caller; the latest level wins, egress releases go first, and a
/// failure shows in the state, not as a throw.
/// </summary>
public sealed class ExpanderWriterTests : IDisposable
{
    private const byte OlatB = 0x15;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // B0 is the annex lock (not an egress door), B1 an egress door's maglock, B2 a lamp.
    private static readonly OutputDefinition ExitAnnex = new("lock-annex-exit", OutputKind.Lock, -1, true, "annex", LockFailMode.FailSafe, Egress: true)
    {
        LineAddress = "mcp23017@0x20:B1",
    };

    private static readonly OutputDefinition LampAnnex = new("lamp-annex", OutputKind.Indicator, -1, true, "annex") { LineAddress = "mcp23017@0x20:B2" };

    private readonly ExpanderRig _rig = new();
    private readonly SemaphoreSlim _applied = new(0);

    public void Dispose()
    {
        _applied.Dispose();
        _rig.Dispose();
    }

    [Fact]
    public async Task A_write_returns_while_the_chips_write_hangs_then_egress_releases_go_first_and_the_latest_level_wins()
    {
        using var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false });
        _rig.Fake.ClearTransactions();

        // The bus hangs on the next OLAT write (a lockdown locking the annex).
        _rig.Fake.Hold = IsOlatWrite;
        outputs.Write("lock-annex", true);
        Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the writer never wrote the lock");

        // Meanwhile nothing waits for the chip: the writes return, and what the lines show is what took.
        outputs.Write("lamp-annex", true);
        outputs.Write("lamp-annex", false);
        outputs.Write("lamp-annex", true); // the lamp's latest level: the two before it are never written
        outputs.Write("lock-annex-exit", false); // a fire releases the exit, asked for after the lamp
        Assert.False(outputs.ReadBack("lock-annex"), "the held write reads back as if it had landed");
        Assert.Equal(new OutputWriteState(Pending: true, Failure: null), outputs.StateOf("lock-annex"));
        Assert.Equal(new OutputWriteState(Pending: true, Failure: null), outputs.StateOf("lamp-annex"));

        _rig.Fake.Hold = null;
        _rig.Fake.Unhold.Release();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.True(await _applied.WaitAsync(Bound), $"attempt {attempt + 1} of 3 never finished");
        }

        // The held write landed (B0), then the egress release (B1 off), then the lamp's latest level (B2).
        Assert.Equal(["W[1503]", "W[1501]", "W[1505]"], OlatWrites());
        Assert.True(_rig.Fake.PinLevel(LockPin));
        Assert.All(
            ["lock-annex", "lock-annex-exit", "lamp-annex"],
            id => Assert.Equal(new OutputWriteState(Pending: false, Failure: null), outputs.StateOf(id)));
        Assert.Equal([true, false, true], [outputs.ReadBack("lock-annex"), outputs.ReadBack("lock-annex-exit"), outputs.ReadBack("lamp-annex")]);
    }

    [Fact]
    public async Task A_refused_write_is_a_failure_in_its_state_tried_again_only_when_asked_and_cleared_once_it_takes()
    {
        using var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = false, ["lamp-annex"] = false });
        _rig.Fake.ClearTransactions();

        _rig.Fake.Nack = IsOlatWrite;
        outputs.Write("lock-annex", true);
        Assert.True(await _applied.WaitAsync(Bound), "the writer never tried the lock");
        var refused = outputs.StateOf("lock-annex");
        Assert.False(refused.Pending);
        Assert.Contains("did not answer", refused.Failure, StringComparison.Ordinal);
        Assert.False(outputs.ReadBack("lock-annex"), "a refused write changed the level read back");

        // Asked again (the controller's retry): one more attempt, still refused, the failure kept.
        outputs.Write("lock-annex", true);
        Assert.True(await _applied.WaitAsync(Bound), "the retry was never tried");
        Assert.Equal(2, OlatWrites().Count);
        Assert.NotNull(outputs.StateOf("lock-annex").Failure);

        // The chip answers: the next ask takes, and the failure is gone.
        _rig.Fake.Nack = null;
        outputs.Write("lock-annex", true);
        Assert.True(await _applied.WaitAsync(Bound), "the last retry was never tried");
        Assert.Equal(new OutputWriteState(Pending: false, Failure: null), outputs.StateOf("lock-annex"));
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.True(_rig.Fake.PinLevel(LockPin));
        Assert.Equal(3, OlatWrites().Count);
    }

    [Fact]
    public void The_boot_levels_are_on_the_chip_when_the_writers_open()
    {
        using var outputs = Open(new() { ["lock-annex"] = true, ["lock-annex-exit"] = false, ["lamp-annex"] = false });

        // Configured in the call itself, before any input is read: no writer involved.
        Assert.True(_rig.Fake.PinLevel(LockPin), "the lock was not at its boot level when the outputs opened");
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.Equal(default, outputs.StateOf("lock-annex"));
    }

    [Fact]
    public async Task A_chip_dead_at_boot_fails_even_a_write_of_the_level_it_reads_back()
    {
        _rig.Fake.Nack = _ => true;
        using var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = false, ["lamp-annex"] = false });

        // It reads back the boot plan, but nothing drove it there: the write is a failure, so the
        // controller reports it and drives it again until the chip answers.
        outputs.Write("lock-annex", false);
        Assert.True(await _applied.WaitAsync(Bound), "the writer never tried the dead chip");
        Assert.False(outputs.ReadBack("lock-annex"));
        Assert.Contains("has not answered since start-up", outputs.StateOf("lock-annex").Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_lets_the_writer_finish_the_writes_already_asked_for()
    {
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false });
        _rig.Fake.Hold = IsOlatWrite;
        outputs.Write("lamp-annex", true);
        Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the writer never wrote the lamp");
        outputs.Write("lock-annex-exit", false); // a fire's release, then the gateway is stopped

        var disposing = Task.Run(outputs.Dispose);
        Assert.True(SpinWait.SpinUntil(() => Refuses(outputs), Bound), "the outputs never refused writes while disposing");
        _rig.Fake.Hold = null;
        _rig.Fake.Unhold.Release();
        await disposing.WaitAsync(Bound);

        // The release asked for before the stop was written, after the held write.
        Assert.Equal(["W[1506]", "W[1504]"], OlatWrites());
    }

    private static bool Refuses(IOutputLines outputs)
    {
        try
        {
            outputs.Write("lock-annex", false); // its boot level: the chip sees no write for it
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private static bool IsOlatWrite(byte[] written) => written.Length == 2 && written[0] == OlatB;

    private List<string> OlatWrites() => [.. _rig.Fake.Transactions.Where(t => IsOlatWrite(t.Written)).Select(t => t.ToString())];

    /// <summary>A bank with outputs only (a relay board), its writers opened; disposing them disposes the bank.</summary>
    private IQueuedOutputLines Open(Dictionary<string, bool> initial)
    {
        var bank = new ExpanderBank(
            _rig.Controller, [Expander], [], [LockAnnex, ExitAnnex, LampAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputWriters(initial);
        outputs.OnApplied(() => _applied.Release());
        return outputs;
    }

    private sealed class FakeBuses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException("no ADC on this board");
    }
}
