using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Tests.Drivers;
using static EdgeGuard.Hardware.Tests.Board.AnnexExpander;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// An expander whose interrupt line opens but whose edge callback the driver refuses (EIO: a line with no
/// interrupt; libgpiod v1 requesting the line again for its events while another process takes it). That
/// throw used to escape <see cref="ExpanderBank.Start"/>, so the chips after it and the EOL loops never
/// started and the gateway failed its start; a chip configured late was torn down every second as one that
/// "did not answer". It is a refused line: the chip is polled, the fault names the line, and supervision
/// puts the callback in once the driver takes it.
/// </summary>
public sealed class ExpanderRefusedEdgesTests : IDisposable
{
    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(25); // Mcp23017Lines.FastPollInterval
    private const int LobbyIntLine = 5;

    // A second chip with an input, listed after the annex's: it must start whatever the annex's line does.
    private static readonly ExpanderOptions Lobby = new("mcp23017@0x21", 1, 0x21, LobbyIntLine);
    private static readonly PointDefinition PanicLobby =
        new("panic-lobby", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "lobby") { LineAddress = "mcp23017@0x21:A0" };

    private readonly ExpanderRig _rig = new(); // the door closed; the panic button released
    private readonly FakeMcp23017 _lobby = new(0x21);

    public ExpanderRefusedEdgesTests()
    {
        _rig.Host.SetInputLevel(LobbyIntLine, true);
        _lobby.InterruptLevelChanged += level => _rig.Host.SetInputLevel(LobbyIntLine, level);
    }

    public void Dispose()
    {
        _rig.Dispose();
        _lobby.Dispose();
    }

    private ExpanderBank Bank() => new(
        _rig.Controller, [Expander, Lobby], [Panic, Door, PanicLobby], [LockAnnex], new FakeBuses(_rig.Fake, _lobby), _rig.Time, _rig.Reported.AddRange);

    /// <summary>Lets time pass in 5 ms steps, so every timer fires at its own moment.</summary>
    private void Run(TimeSpan span)
    {
        for (var left = span; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(5))
        {
            _rig.Time.Advance(TimeSpan.FromMilliseconds(5));
        }
    }

    private List<(string, bool)> Edges() => [.. _rig.Edges.Select(e => (e.PointId, e.High))];

    [Fact]
    public void A_refused_edge_callback_starts_the_bank_polls_the_chip_starts_the_next_chip_and_is_reported_once()
    {
        _rig.Host.RefuseEdgeEvents(IntLine);
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });

        var ex = Record.Exception(() => bank.Start(_rig.Edges.Add));

        Assert.Null(ex);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.StartsWith("its interrupt line (host GPIO 4) gives no edge events", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("(EIO)", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("every 25 ms", fault.Reason, StringComparison.Ordinal);
        Assert.Empty(fault.Points); // its points are read, not fail-safe

        // The chip after it listens to its own line: a press is delivered by its callback at once.
        Assert.Equal(1, _rig.Host.CallbackCount(LobbyIntLine));
        _lobby.SetPin(0, false);
        Assert.Equal([("panic-lobby", false)], Edges());
        _rig.Edges.Clear();

        // The refused chip's press and release, each seen within one fast poll though no callback hears them.
        _rig.Fake.SetPin(0, false);
        Run(FastPoll);
        _rig.Fake.SetPin(0, true);
        Run(FastPoll);
        Assert.Equal([("panic-annex", false), ("panic-annex", true)], Edges());
        Run(ExpanderBank.SupervisionInterval * 3);
        Assert.Single(_rig.Reported); // one fault for the episode, however often the line is tried again
    }

    [Fact]
    public void A_host_line_that_cannot_be_read_at_start_does_not_stop_the_start_and_the_chip_is_read_instead()
    {
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        _rig.Fake.SetPin(0, false); // pressed since the chip was configured: INT held low, no falling edge to come
        _rig.Host.FailReads(IntLine);

        var ex = Record.Exception(() => bank.Start(_rig.Edges.Add));

        Assert.Null(ex);
        Assert.Equal([("panic-annex", false)], Edges());
        Assert.Equal(1, _rig.Host.CallbackCount(LobbyIntLine)); // the next chip started too
    }

    [Fact]
    public void A_host_line_that_keeps_failing_its_reads_is_a_line_fault_and_the_chip_answering_is_polled_not_taken_for_dead()
    {
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        _rig.Host.FailReads(IntLine, int.MaxValue); // EIO on every read of the host line from now on

        Run(ExpanderBank.SupervisionInterval * 3);

        var fault = Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported));
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.StartsWith("its interrupt line (host GPIO 4) could not be read", fault.Reason, StringComparison.Ordinal);
        Assert.Empty(fault.Points); // the chip answers: its points are read, not fail-safe
        Assert.Empty(_rig.Edges); // and none was delivered at a fail-safe level

        // A press and its release, read by the fast poll though neither the callback nor the line says so.
        _rig.Fake.SetPin(0, false);
        Run(FastPoll);
        _rig.Fake.SetPin(0, true);
        Run(FastPoll);
        Assert.Equal([("panic-annex", false), ("panic-annex", true)], Edges());
    }

    [Fact]
    public void Once_the_driver_takes_the_callback_the_next_pass_listens_and_restores_the_fault()
    {
        _rig.Host.RefuseEdgeEvents(IntLine);
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        Run(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware"], _rig.Reported.Select(e => e.Type));
        Assert.Equal(0, _rig.Host.CallbackCount(IntLine));

        _rig.Host.RefuseEdgeEvents(IntLine, refuse: false);
        Run(ExpanderBank.SupervisionInterval);

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _rig.Reported.Select(e => e.Type));
        Assert.Equal(1, _rig.Host.CallbackCount(IntLine));
        _rig.Fake.SetPin(0, false); // announced by the line: delivered by the callback at once
        Assert.Equal(new RawEdge("panic-annex", false, _rig.Time.GetTimestamp()), Assert.Single(_rig.Edges));
    }

    [Fact]
    public void A_chip_answering_only_late_with_its_callback_refused_is_configured_once_and_swaps_its_fault()
    {
        _rig.Fake.Nack = _ => true; // no power at boot
        _rig.Host.RefuseEdgeEvents(IntLine);
        using var bank = Bank();
        bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_rig.Edges.Add);
        Assert.Contains("did not answer", Assert.IsType<HardwareFault>(Assert.Single(_rig.Reported)).Reason, StringComparison.Ordinal);

        _rig.Fake.Nack = null;
        bank.Supervise();

        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _rig.Reported.Select(e => e.Type));
        var refusal = Assert.IsType<HardwareFault>(_rig.Reported[^1]);
        Assert.StartsWith("its interrupt line (host GPIO 4) gives no edge events", refusal.Reason, StringComparison.Ordinal);

        // Configured once, not torn down and initialised again every pass: its points deliver by the fast poll.
        _rig.Fake.ClearTransactions();
        _rig.Fake.SetPin(0, false);
        Run(ExpanderBank.SupervisionInterval * 3);
        Assert.DoesNotContain(_rig.Fake.Transactions, t => t.Written is [0x0A or 0x05, _]); // no IOCON written
        Assert.Contains(("panic-annex", false), Edges());
        Assert.Equal(3, _rig.Reported.Count); // that one stands for the episode
    }
}
