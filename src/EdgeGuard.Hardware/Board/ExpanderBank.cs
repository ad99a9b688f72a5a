using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Board;

/// <summary>
/// The points and outputs on every MCP23017 of the I/O board. The chips are configured when the outputs
/// are opened (<see cref="OpenOutputs"/>), because an expander's outputs must come up at the restored plan's
/// level in the same initialisation that makes them outputs; the boot order (outputs before inputs) then
/// guarantees the chips exist before any input is read.
/// </summary>
/// <remarks>
/// From the moment the outputs are opened (a bank with outputs only is never started), a supervision timer
/// checks that each chip still holds its configuration, calls <see cref="Mcp23017Lines.Sweep"/> (the chip is read
/// whatever its interrupt line says, so a change that line never announced is still delivered, and the line is
/// judged; so is a level the edge action threw on), and reports a chip that stops answering, fails an interrupt
/// read, has an edge action that throws (<see cref="Mcp23017Lines.DeliveryFailures"/>) or an interrupt line that
/// does not work (<see cref="Mcp23017Lines.InterruptLineFault"/>: it is then read every
/// <see cref="Mcp23017Lines.FastPollInterval"/> until the line is trusted again) as <see cref="HardwareFault"/>,
/// restored once that is over.
/// A chip found reset (a brown-out) is configured again as at start-up (<see cref="Mcp23017Lines.Reconfigure"/>:
/// outputs at their current levels, inputs changed meanwhile delivered) and reported as a fault and its restore;
/// while that fails the fault stays raised and every pass retries.
/// <para>A chip that does not answer at start-up does not stop the gateway (its native GPIO points and every other
/// chip must still be protected): it is reported as <see cref="HardwareFault"/>, its outputs refuse writes (the
/// controller reports them and retries), its points read the fail-safe level of a tampered loop
/// (<see cref="TamperedLoop.ReadsActive"/>), and every supervision pass tries to configure it, outputs at the levels
/// last asked for. Once it answers, its real input levels are delivered as edges and the fault is restored, except
/// that a keyswitch or request-to-exit found active is recorded without an edge (held through the blindness, it
/// must not count as a turn or press). A chip that answered at start-up but fails the boot read twice in a
/// row (<see cref="Read"/> reads again once: one failure may be a glitch) is handled alike, except that it
/// is configured already. A chip that stops answering later (a cut harness, its supply lost) goes
/// the same way at the second supervision pass in a row that fails: its points are delivered at their fail-safe levels as
/// edges (a fire input active releases egress), and their real levels once a pass reads it again.</para>
/// <para>A chip that answers but whose interrupt line the kernel refuses (another process holds it) is none of
/// that: it is configured and used, read every <see cref="Mcp23017Lines.FastPollInterval"/>, and reported at once
/// with <see cref="Mcp23017Lines.InterruptLineFault"/> as its reason; supervision requests the line again every
/// pass and restores the fault once it holds it. So is one whose line's edge callback the driver refuses at
/// <see cref="Start"/> (EIO): reported there, never thrown, so the other chips and the EOL loops start.</para>
/// </remarks>
public sealed partial class ExpanderBank : IInputLines
{
    /// <summary>How often each chip is supervised.</summary>
    public static readonly TimeSpan SupervisionInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Failed supervision passes in a row after which a chip's points read fail-safe (a fire input active,
    /// so egress is released and latched until a person resets it). Two, as an EOL loop needs two polls: one
    /// transaction lost to a glitch on the I2C wires must not release every escape door, and a chip that
    /// is really gone goes fail-safe one <see cref="SupervisionInterval"/> later.
    /// </summary>
    public const int FailedPassesBeforeFailSafe = 2;

    private readonly GpioController _controller;
    private readonly TimeProvider _time;
    private readonly Action<IReadOnlyList<DomainEvent>> _report;
    private readonly List<Chip> _chips = [];
    private readonly Dictionary<string, Chip> _chipOfPoint = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PointDefinition> _points = new(StringComparer.Ordinal);
    // Lock order, outermost first: _supervising, _gate, then a chip's own Mcp23017Lines lock (and the
    // bus); a chip's RequestedGate is a leaf, never held while another is taken.
    // _supervising lets one pass run: a periodic timer re-fires whatever the last pass is doing, and on
    // a hung bus (1 s per transaction) blocked passes would pile up on pool threads the controller
    // loop, the watchdog and MQTT need. _gate guards the bank's and the chips' supervision state (the
    // flags in Chip, _onEdge, _opened, _disposed) and is held across a pass's I/O; an output write never
    // takes it (ChipOutputs), nor does a read of a chip that answers, so an egress release on one chip
    // never waits behind the supervision of another.
    private readonly Lock _supervising = new();
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private Action<RawEdge>? _onEdge;
    private bool _opened;
    private bool _disposed;
    private bool _supervisionStopped;
    private long _supervisionFailures;
    private Exception? _lastSupervisionFailure;
    // Under _supervising: the events a pass's report threw on, handed on by the next pass.
    private readonly List<DomainEvent> _unreported = [];

    /// <summary>Groups the expander points and outputs by chip; nothing is sent to a chip yet.</summary>
    /// <exception cref="ArgumentException">A point or output names an expander that is not configured.</exception>
    public ExpanderBank(
        GpioController controller, IEnumerable<ExpanderOptions> expanders, IEnumerable<PointDefinition> points,
        IEnumerable<OutputDefinition> outputs, IBusDevices buses, TimeProvider time, Action<IReadOnlyList<DomainEvent>> report)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(expanders);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(buses);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(report);
        (_controller, _time, _report) = (controller, time, report);

        var byAddress = new Dictionary<int, Chip>();
        foreach (var expander in expanders)
        {
            var chip = new Chip(expander, buses);
            byAddress.Add(expander.Address, chip);
            _chips.Add(chip);
        }

        foreach (var point in points.Where(p => Mcp23017LineAddress.IsExpanderLine(p.LineAddress)))
        {
            var (chip, pin) = Locate(byAddress, point.Id, point.LineAddress);
            chip.Inputs.Add(new ExpanderInput(point.Id, pin, point.Pull));
            _chipOfPoint.Add(point.Id, chip);
            _points.Add(point.Id, point);
        }

        foreach (var output in outputs.Where(o => Mcp23017LineAddress.IsExpanderLine(o.LineAddress)))
        {
            var (chip, pin) = Locate(byAddress, output.Id, output.LineAddress);
            chip.Outputs.Add((output.Id, pin));
            chip.OutputDefinitions.Add(output);
        }
    }

    /// <summary>The points on expander pins.</summary>
    public IReadOnlyCollection<string> PointIds => _chipOfPoint.Keys;

    /// <summary>The outputs on expander pins.</summary>
    public IReadOnlyCollection<string> OutputIds => [.. _chips.SelectMany(c => c.Outputs.Select(o => o.Id))];

    /// <inheritdoc/>
    /// <remarks>
    /// A chip that is not configured, or does not answer, gives the fail-safe level of a tampered loop and is
    /// left to supervision, which delivers the real level once the chip answers. A read that fails is tried
    /// once more first: one transaction lost to a glitch on the I2C wires must not make a fire input latch
    /// the egress release at boot, where while running it takes <see cref="FailedPassesBeforeFailSafe"/>
    /// failed passes in a row. A chip that already failed twice in a row at this read is not tried twice
    /// again for its next point: on a hung bus each try waits out the adapter's timeout (1 s).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The chips are not configured yet (<see cref="OpenOutputs"/> comes first).</exception>
    public bool Read(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        var chip = _chipOfPoint.TryGetValue(pointId, out var c) ? c : throw new KeyNotFoundException($"Point '{pointId}' is not on an expander.");
        if (!_opened)
        {
            throw new InvalidOperationException($"{chip.Options.Id} is configured when the outputs are opened, which must come first.");
        }

        if (chip.Lines is not { } lines)
        {
            return Unread(chip, pointId, null);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var level = lines.Read(pointId);
                chip.FailedBootReads = 0;
                return level;
            }
            catch (HardwareException ex)
            {
                // One failure may be a glitch: read again at once, unless this read already failed
                // twice in a row on the chip (its bus is hung or it is gone).
                if (++chip.FailedBootReads >= FailedPassesBeforeFailSafe || attempt > 1)
                {
                    return Unread(chip, pointId, ex.Message);
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Start(Action<RawEdge> onEdge)
    {
        ArgumentNullException.ThrowIfNull(onEdge);
        var events = new List<DomainEvent>();
        // Held to the report, as OpenOutputs holds it: a pass must not restore the fault raised here first.
        using (_supervising.EnterScope())
        {
            lock (_gate)
            {
                _onEdge = onEdge;
                // A chip not configured yet is started by supervision once it is.
                foreach (var chip in _chips)
                {
                    chip.Lines?.Start(onEdge);
                    // Its line's edge callback refused (Mcp23017Lines.Start): polled, and reported now as a line
                    // refused at OpenOutputs is; a fault standing already is left to the next pass to swap.
                    if (!chip.Faulted && chip.Lines?.InterruptLineFault is { } line)
                    {
                        RaiseLineFault(chip, line, events);
                    }
                }
            }

            if (events.Count > 0)
            {
                _report(events);
            }
        }

        StartSupervision();
    }

    /// <summary>
    /// One supervision pass over every chip: configures a chip found reset again, reads its interrupt flags and
    /// inputs (delivering any change), judges its interrupt line and checks the chip still answers. Reports
    /// faults raised and restored; never throws (it runs on a timer). A call while a pass is under way (a tick
    /// that fired while the last one hangs on the bus) returns at once: it would only repeat that pass.
    /// </summary>
    public void Supervise()
    {
        if (!_supervising.TryEnter())
        {
            return;
        }

        try
        {
            SuperviseHeld();
        }
        finally
        {
            _supervising.Exit();
        }
    }

    /// <summary>
    /// Chip supervisions and reports that threw something their own steps do not handle (a bus driver throwing
    /// other than an I/O error, a reporter that throws). Each is contained: the chip's fault is raised with the
    /// exception as its reason, the other chips are supervised as usual, and events a report could not take are
    /// handed on by the next pass.
    /// </summary>
    public long SupervisionFailures => Interlocked.Read(ref _supervisionFailures);

    /// <summary>The most recent exception counted in <see cref="SupervisionFailures"/>.</summary>
    public Exception? LastSupervisionFailure => Volatile.Read(ref _lastSupervisionFailure);

    /// <summary>The pass of <see cref="Supervise"/>, under <see cref="_supervising"/>.</summary>
    private void SuperviseHeld()
    {
        // What the last pass could not report first: the chips' flags already say it was raised, so no
        // later pass would raise it again (a chip that stopped answering never reaching the office).
        var events = new List<DomainEvent>(_unreported);
        _unreported.Clear();
        lock (_gate)
        {
            if (_disposed || _supervisionStopped || !_opened)
            {
                return; // before OpenOutputs there is no plan to configure a chip's outputs with
            }

            foreach (var chip in _chips)
            {
                try
                {
                    SuperviseChip(chip, events);
                }
#pragma warning disable CA1031 // On a timer: escaping, it would end the process and the native panic and fire lines with it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    CountFailure(ex);
                    if (!chip.Faulted)
                    {
                        // Restored by the first pass that supervises it without a problem, as any fault.
                        chip.Faulted = true;
                        events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id,
                            $"its supervision failed ({ex.GetType().Name}: {ex.Message}); tried again every {SupervisionInterval.TotalSeconds:0} s"));
                    }
                }
            }
        }

        if (events.Count == 0)
        {
            return;
        }

        try
        {
            _report(events);
        }
#pragma warning disable CA1031 // As above; the events wait for the next pass instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(ex);
            _unreported.AddRange(events);
        }
    }

    private void CountFailure(Exception ex)
    {
        Interlocked.Increment(ref _supervisionFailures);
        Volatile.Write(ref _lastSupervisionFailure, ex);
    }

    /// <summary>Starts the supervision timer once (from <see cref="OpenOutputs"/> or <see cref="Start"/>).</summary>
    private void StartSupervision()
    {
        lock (_gate)
        {
            if (!_disposed && !_supervisionStopped)
            {
                _timer ??= _time.CreateTimer(_ => Supervise(), null, SupervisionInterval, SupervisionInterval);
            }
        }
    }

    /// <summary>Stops the supervision timer for good; a pass under way ends first (it holds the lock).</summary>
    private void StopSupervision()
    {
        ITimer? timer;
        lock (_gate)
        {
            _supervisionStopped = true;
            timer = _timer;
        }

        timer?.Dispose();
    }

    /// <summary>
    /// Stops supervision and edge delivery; the chips keep their outputs. A chip whose output writer is
    /// still running (its outputs are not disposed yet, or a write of theirs hangs) is left open: it is
    /// closed when the outputs are disposed, or at the process's exit. So an input composition disposed
    /// before the outputs never pulls the lines from under a write a stop still has to make.
    /// </summary>
    public void Dispose()
    {
        StopSupervision();
        lock (_gate)
        {
            _disposed = true;
            foreach (var chip in _chips)
            {
                if (chip.Closed || chip.Writer is { IsWriting: true })
                {
                    continue;
                }

                chip.Closed = true;
                chip.Lines?.Dispose();
                chip.Device.Dispose();
            }
        }
    }

    private static (Chip Chip, int Pin) Locate(Dictionary<int, Chip> byAddress, string id, string? lineAddress)
    {
        if (!Mcp23017LineAddress.TryParse(lineAddress, out var address, out var error))
        {
            throw new ArgumentException($"'{id}': {error}");
        }

        return byAddress.TryGetValue(address.Address, out var chip)
            ? (chip, address.Pin)
            : throw new ArgumentException($"'{id}' is on {address.Chip}, which is not a configured expander.");
    }
}
