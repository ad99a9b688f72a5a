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
    private const int ExitPin = 9; // B1
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
        // A drain timeout far beyond the test's own waits: the release below may come late on a loaded
        // machine, and must still find the writer waiting for it.
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: Bound * 4);
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

    [Fact]
    public async Task Disposing_makes_one_last_attempt_at_a_write_whose_last_attempt_failed()
    {
        // A fire's release refused once (an I²C glitch); the caller's retry is not due yet when the gateway stops.
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: Bound * 4);
        _rig.Fake.ClearTransactions();
        _rig.Fake.Nack = IsOlatWrite;
        outputs.Write("lock-annex-exit", false);
        Assert.True(await _applied.WaitAsync(Bound), "the writer never tried the release");
        Assert.NotNull(outputs.StateOf("lock-annex-exit").Failure);

        // The chip answers again; the stop's drain writes the release once more, and once only.
        _rig.Fake.Nack = null;
        await Task.Run(outputs.Dispose).WaitAsync(Bound);

        Assert.Equal(["W[1500]", "W[1500]"], OlatWrites()); // the refused attempt, then the stop's
        Assert.False(_rig.Fake.PinLevel(ExitPin), "the release refused before the stop was never made");
    }

    [Fact]
    public async Task Disposing_makes_one_last_attempt_at_a_write_that_was_on_the_bus_at_the_stop_and_failed()
    {
        // A fire's release is on the bus (a slow transaction) when the gateway is stopped, and then fails.
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: Bound * 4);
        _rig.Fake.ClearTransactions();
        _rig.Fake.Hold = IsOlatWrite;
        outputs.Write("lock-annex-exit", false);
        Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the writer never tried the release");

        var disposing = Task.Run(outputs.Dispose);
        Assert.True(SpinWait.SpinUntil(() => Refuses(outputs), Bound), "the outputs never refused writes while disposing");
        _rig.Fake.Hold = null;
        _rig.Fake.FailNext = new IOException("NACK");
        _rig.Fake.Unhold.Release();
        await disposing.WaitAsync(Bound);

        Assert.Equal(["W[1500]", "W[1500]"], OlatWrites()); // the attempt that failed after the stop, then one more
        Assert.False(_rig.Fake.PinLevel(ExitPin), "the release that failed after the stop was never made");
    }

    [Fact]
    public async Task Disposing_writes_nothing_when_every_write_took()
    {
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: Bound * 4);
        outputs.Write("lock-annex-exit", false);
        Assert.True(await _applied.WaitAsync(Bound), "the writer never made the release");
        _rig.Fake.ClearTransactions();

        await Task.Run(outputs.Dispose).WaitAsync(Bound);

        Assert.Empty(OlatWrites());
    }

    [Fact]
    public async Task A_write_hung_past_the_drain_timeout_does_not_hold_the_stop_and_its_lines_stay_open_under_it()
    {
        var outputs = Open(new() { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: TimeSpan.FromMilliseconds(200));
        _rig.Fake.Hold = IsOlatWrite;
        outputs.Write("lamp-annex", true);
        Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the writer never wrote the lamp");
        outputs.Write("lock-annex-exit", false); // a fire's release, then the gateway is stopped

        // The bus stays hung: the stop ends after the drain timeout, not when the bus answers (the chip's
        // lines are not disposed, which would wait for the chip's lock the hung write holds).
        await Task.Run(outputs.Dispose).WaitAsync(Bound);
        Assert.Empty(OlatWrites());

        // The bus answers after the stop: the writer, still alive, finishes on lines still open.
        _rig.Fake.Hold = null;
        _rig.Fake.Unhold.Release();
        Assert.True(SpinWait.SpinUntil(() => OlatWrites().Count == 2, Bound), "the held write and the release after it");
        Assert.Equal(["W[1506]", "W[1504]"], OlatWrites());
    }

    [Fact]
    public async Task Disposing_the_bank_as_inputs_first_leaves_the_chip_open_for_the_writes_the_outputs_drain()
    {
        // The annex board: the chip carries points too, so the gateway's inputs dispose the bank as well.
        var bank = new ExpanderBank(
            _rig.Controller, [Expander], [Panic], [LockAnnex, ExitAnnex, LampAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputWriters(
            new Dictionary<string, bool> { ["lock-annex"] = false, ["lock-annex-exit"] = true, ["lamp-annex"] = false }, drainTimeout: Bound * 4);
        bank.Start(_ => { });
        _rig.Fake.ClearTransactions();
        _rig.Fake.Hold = IsOlatWrite;
        outputs.Write("lamp-annex", true);
        Assert.True(await _rig.Fake.Held.WaitAsync(Bound), "the writer never wrote the lamp");
        outputs.Write("lock-annex-exit", false); // a fire's release, then the gateway is stopped

        // The inputs go first: that must neither wait for the hung write nor close the chip under it.
        await Task.Run(bank.Dispose).WaitAsync(Bound);
        var draining = Task.Run(outputs.Dispose);
        _rig.Fake.Hold = null;
        _rig.Fake.Unhold.Release();
        await draining.WaitAsync(Bound);

        Assert.Equal(["W[1506]", "W[1504]"], OlatWrites());
        Assert.DoesNotContain(_rig.Reported, e => e is Core.Lockdown.HardwareFault);
    }

    [Fact]
    public async Task A_write_that_reads_back_another_level_is_a_failure_and_is_made_again_when_asked()
    {
        // A latch that does not take the level: the write "succeeds", the read-back says otherwise.
        var stuck = new StuckLines();
        using var outputs = new QueuedOutputLines("stuck", stuck, [LampAnnex], drainTimeout: Bound);
        outputs.OnApplied(() => _applied.Release());
        outputs.Write("lamp-annex", true);
        Assert.True(await _applied.WaitAsync(Bound), "the writer never tried the lamp");
        Assert.Equal(new OutputWriteState(Pending: false, Failure: "read back low after writing high"), outputs.StateOf("lamp-annex"));

        // The caller's retry (the same level) is made again, not skipped as applied.
        outputs.Write("lamp-annex", true);
        Assert.True(await _applied.WaitAsync(Bound), "the retry was skipped");
        Assert.Equal(2, stuck.Writes);
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
    private IQueuedOutputLines Open(Dictionary<string, bool> initial, TimeSpan? drainTimeout = null)
    {
        var bank = new ExpanderBank(
            _rig.Controller, [Expander], [], [LockAnnex, ExitAnnex, LampAnnex], new FakeBuses(_rig.Fake), _rig.Time, _rig.Reported.AddRange);
        var outputs = bank.OpenOutputWriters(initial, drainTimeout);
        outputs.OnApplied(() => _applied.Release());
        return outputs;
    }

    /// <summary>Lines whose writes return but whose read-back stays low.</summary>
    private sealed class StuckLines : IOutputLines
    {
        private int _writes;

        public int Writes => Volatile.Read(ref _writes);

        public void Write(string outputId, bool high) => Interlocked.Increment(ref _writes);

        public bool ReadBack(string outputId) => false;

        public void Dispose()
        {
        }
    }
}
