using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware;

/// <summary>The periodic re-read of the native lines that puts right a level whose edge was lost.</summary>
public sealed partial class GpioInputLines
{
    /// <summary>How often every line is re-read: the same period as the I/O board's chip supervision.</summary>
    public static readonly TimeSpan ResyncInterval = Board.ExpanderBank.SupervisionInterval;

    private readonly Lock _passGate = new();
    private ITimer? _timer;

    /// <summary>
    /// One resync pass: reads every line and delivers, stamped now, a level that differs from the one last
    /// delivered; reports each line that lost edges or needed a level put right as one <see cref="HardwareFault"/>
    /// (device <see cref="DeviceOf"/>), restored after a pass that found it clean. Does nothing before
    /// <see cref="Start"/> or after <see cref="Dispose"/>; never throws (it runs on a timer).
    /// </summary>
    /// <remarks>
    /// <para>A level that differs without a lost edge counted is delivered only when the next pass reads it again
    /// with no edge in between: the event of a change that has just happened may still be on its way (a loaded
    /// event thread), and a critical fault for every such race would teach the office to ignore the fault. A lost
    /// edge counted is acted on at once: the fault is due anyway.</para>
    /// <para>Each line is read outside its gate (a driver may hold its own lock while it runs callbacks, which take
    /// the gate), and a read during which an edge arrived is set aside: that edge may be newer than the read.</para>
    /// </remarks>
    public void Resync()
    {
        if (Volatile.Read(ref _onEdge) is null || !_passGate.TryEnter())
        {
            return; // not started (nothing delivered yet), or a pass is still under way
        }

        try
        {
            if (_disposed)
            {
                return;
            }

            var events = new List<DomainEvent>();
            var changed = new List<(InputLine Line, bool Faulted, bool NamesPoint)>();
            foreach (var line in _lines.Values)
            {
                line.Unreadable = false;
                var (problem, clean) = Check(line);
                var device = DeviceOf(line.Point.Line);
                // A line this pass could not read is named unread (an egress door whose only exit button it is
                // is released). A standing fault that says otherwise is restored and raised anew: one for lost
                // edges never named a line that then failed to read, and one naming it kept its door released
                // once it read again.
                var renamed = problem is not null && line.Faulted && line.Unreadable != line.FaultNamesPoint;
                if (renamed)
                {
                    events.Add(new HardwareFaultRestored(_time.GetUtcNow(), device));
                }

                if (problem is not null && (!line.Faulted || renamed))
                {
                    // One fault per episode: a line that keeps losing edges is not reported again until a clean pass.
                    events.Add(new HardwareFault(_time.GetUtcNow(), device, $"{line.Point.Id}: {problem}")
                    {
                        Points = line.Unreadable ? [line.Point.Id] : [],
                    });
                    changed.Add((line, true, line.Unreadable));
                }
                else if (clean && line.Faulted)
                {
                    events.Add(new HardwareFaultRestored(_time.GetUtcNow(), device));
                    changed.Add((line, false, false));
                }
            }

            if (events.Count > 0)
            {
                _report?.Invoke(events);
            }

            // Only once reported: a report that throws leaves the lines as they were, so the next
            // pass reports the fault again rather than a restore with no fault before it.
            foreach (var (line, faulted, namesPoint) in changed)
            {
                (line.Faulted, line.FaultNamesPoint) = (faulted, namesPoint);
            }
        }
#pragma warning disable CA1031 // A resync timer must survive anything: it is what catches the lines' other failures.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            _passGate.Exit();
        }
    }

    /// <summary>Starts the resync timer once edges have a receiver; never after <see cref="Dispose"/>.</summary>
    private void StartResync()
    {
        lock (_passGate)
        {
            if (!_disposed)
            {
                _timer ??= _time.CreateTimer(_ => Resync(), null, ResyncInterval, ResyncInterval);
            }
        }
    }

    /// <summary>Records the level a line starts from, unless an edge already delivered one.</summary>
    private void Seed(InputLine line)
    {
        bool high;
        try
        {
            high = ReadLevel(line) == PinValue.High;
        }
#pragma warning disable CA1031 // Left unknown: the first pass that can read the line records its level.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        lock (line.Gate)
        {
            if (line.Edges == 0)
            {
                line.Delivered = high;
            }
        }
    }

    /// <summary>
    /// Checks one line. <c>Problem</c> is what to report (null: nothing); <c>Clean</c> that the line's fault may
    /// be restored (no problem, and no mismatch waiting for confirmation).
    /// </summary>
    private (string? Problem, bool Clean) Check(InputLine line)
    {
        long edgesAtRead;
        lock (line.Gate)
        {
            edgesAtRead = line.Edges;
            if (line.ReadFailed && line.ReadFailures < 2 && !line.ReadFailureStood)
            {
                // One failed read, new to the passes, may be retried by the reader at once: the
                // controller's boot read reads a native line twice and raises fault.hardware only
                // when the second throws too. Acting on it now restored, or marked for restore, a
                // fault never raised when that retry read. Left for the next pass: by then the retry
                // has come, and a failure still standing is the reader's fault. Two failures in a
                // row are that fault already: acted on at once, so the real level is not held back.
                line.ReadFailureStood = true;
                return (null, false);
            }
        }

        bool high;
        try
        {
            high = ReadLevel(line) == PinValue.High;
        }
#pragma warning disable CA1031 // Any failure to read is the line's fault to report, not the timer's end.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            line.Unreadable = true;
            lock (line.Gate)
            {
                // The boot read's failure is the reader's fault already raised, naming the point: not raised twice.
                if (line.ReadFailed)
                {
                    (line.Faulted, line.FaultNamesPoint) = (true, true);
                }
            }

            return ($"the line could not be read: {ex.Message}", false);
        }

        lock (line.Gate)
        {
            if (line.ReadFailed)
            {
                return DeliverAfterFailedRead(line, high, edgesAtRead);
            }

            var failures = Interlocked.Read(ref line.Failures);
            var lost = failures - line.FailuresSeen;
            line.FailuresSeen = failures;
            var problem = lost > 0
                ? $"{lost} edge{(lost == 1 ? "" : "s")} lost: {Volatile.Read(ref line.LastFailure)?.Message}; level re-read ({Level(high)})"
                : null;
            if (line.Delivered is null && line.Edges == edgesAtRead)
            {
                line.Delivered = high; // could not be read at start: this is where the receiver's level is learnt
            }

            if (line.Edges != edgesAtRead || line.Delivered == high)
            {
                // Agrees, or an edge came while the line was read: that edge may be newer than the read.
                line.Suspect = null;
                return (problem, problem is null);
            }

            // A panic button or a fire input acts on its leading edge: delivered at the first pass
            // that sees it, at the risk of a fault report for an event that was only late.
            if (problem is null && line.Suspect != (high, edgesAtRead) && !line.Point.ActsOnLeadingEdge)
            {
                line.Suspect = (high, edgesAtRead);
                return (null, false); // confirmed or dropped by the next pass (see the remarks on Resync)
            }

            line.Suspect = null;
            problem ??= $"level {Level(high)} differed from the last edge delivered (an edge event was lost); re-read";
            try
            {
                Deliver(line, high, _time.GetTimestamp(), byResync: true);
            }
#pragma warning disable CA1031 // Counted like an edge the callback lost: the next pass tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                CountFailure(line, ex); // so the next pass delivers again at once
                problem += $"; delivering it failed: {ex.Message}";
            }

            return (problem, false);
        }
    }

    /// <summary>
    /// A line whose <see cref="Read"/> threw (twice in a row, or a pass ago: the reader's retry has come), read
    /// again: its level is delivered whatever it is, since the
    /// receiver holds the point's fail-safe level, which the level seeded at <see cref="Start"/> may equal,
    /// and the fault the reader raised is restored (this pass). Unless an edge came while it was read: that
    /// edge may be newer, and the next pass delivers. The caller holds the line's gate.
    /// </summary>
    private (string? Problem, bool Clean) DeliverAfterFailedRead(InputLine line, bool high, long edgesAtRead)
    {
        (line.Faulted, line.FaultNamesPoint) = (true, true); // the reader's fault, naming the point
        if (line.Edges != edgesAtRead)
        {
            return (null, false);
        }

        try
        {
            // A real change's late event is absorbed only when this delivery was that change.
            Deliver(line, high, _time.GetTimestamp(), byResync: line.Delivered != high);
        }
#pragma warning disable CA1031 // Counted like an edge the callback lost: the next pass tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(line, ex);
            return ($"the level read after a failed read ({Level(high)}) could not be delivered: {ex.Message}", false);
        }

        line.ReadFailed = false;
        line.Suspect = null;
        line.FailuresSeen = Interlocked.Read(ref line.Failures); // a failure to deliver before this is put right
        return (null, true);
    }

    private static string Level(bool high) => high ? "high" : "low";
}
