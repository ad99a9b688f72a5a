using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// An in-memory outbox with the journal's contract: seq strictly +1 from 1, cursor never moves
/// backwards. Records every cursor write asked for (the publisher's CursorDurableAsync at a stop, a
/// test's MarkDelivered) so tests can check how the cursor moved; the journal's own commits of the
/// acknowledged prefix are <see cref="PersistAcknowledged"/>.
/// </summary>
public sealed partial class FakeOutbox : IOutbox
{
    private readonly Lock _gate = new();
    private readonly List<JournalRecord> _records = [];
    private readonly List<long> _marks = [];
    private TaskCompletionSource _appended = NewSignal();
    private TaskCompletionSource _delivered = NewSignal();
    private long _deliveredThrough;
    private long _acknowledged;
    private int _readsToFail;
    private int _reads;
    private long _agedOutThrough;
    private bool _cursorHangs;

    /// <summary>Base of the records' timestamps.</summary>
    public DateTimeOffset Epoch { get; init; } = new(2026, 11, 23, 19, 0, 0, TimeSpan.Zero);

    /// <inheritdoc/>
    public long DeliveredThrough
    {
        get
        {
            lock (_gate)
            {
                return _deliveredThrough;
            }
        }
    }

    /// <inheritdoc/>
    public long LastSeq
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>Every value written as the cursor (<see cref="CursorDurableAsync"/>, <see cref="MarkDelivered"/>), in call order.</summary>
    public IReadOnlyList<long> Marks
    {
        get
        {
            lock (_gate)
            {
                return [.. _marks];
            }
        }
    }

    /// <summary>The record with this seq.</summary>
    public JournalRecord this[long seq]
    {
        get
        {
            lock (_gate)
            {
                return _records[(int)(seq - 1)];
            }
        }
    }

    /// <summary>Journals one record and returns it.</summary>
    public JournalRecord Append(
        string type = "test.event", string? point = null, string? zone = null, string data = "{}", Severity severity = Severity.Info, bool drill = false)
    {
        JournalRecord record;
        TaskCompletionSource appended;
        lock (_gate)
        {
            var seq = _records.Count + 1L;
            var at = Epoch.AddMilliseconds(seq);
            record = new JournalRecord(seq, Guid.CreateVersion7(at), at, TimeSpan.FromMilliseconds(seq), type, point, zone, severity, drill, data);
            _records.Add(record);
            appended = _appended;
            _appended = NewSignal();
        }

        appended.TrySetResult();
        return record;
    }

    /// <summary>Journals <paramref name="count"/> records with data <c>{"n":seq}</c>.</summary>
    public void AppendMany(int count)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                var seq = _records.Count + 1L;
                var at = Epoch.AddMilliseconds(seq);
                _records.Add(new JournalRecord(
                    seq, Guid.CreateVersion7(at), at, TimeSpan.FromMilliseconds(seq), "test.burst", null, null, Severity.Info, false, $"{{\"n\":{seq}}}"));
            }

            appended = _appended;
            _appended = NewSignal();
        }

        appended.TrySetResult();
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> reads throw a <see cref="JournalException"/>, as the
    /// journal's does when SQLite fails (an I/O error on a failing card).
    /// </summary>
    public void FailNextReads(int count)
    {
        lock (_gate)
        {
            _readsToFail = count;
        }
    }

    /// <summary>
    /// Deletes seqs 1 through <paramref name="throughSeq"/> as the journal's retention does: reads
    /// skip them from now on.
    /// </summary>
    public void AgeOut(long throughSeq)
    {
        lock (_gate)
        {
            _agedOutThrough = Math.Max(_agedOutThrough, throughSeq);
        }
    }

    /// <summary>Calls of <see cref="ReadAfter"/> so far, failed ones included.</summary>
    public int Reads
    {
        get
        {
            lock (_gate)
            {
                return _reads;
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<JournalRecord> ReadAfter(long afterSeq, int max)
    {
        lock (_gate)
        {
            _reads++;
            if (_readsToFail > 0)
            {
                _readsToFail--;
                throw new JournalException("Journal database '/var/lib/edgeguard/journal.db': disk I/O error (SQLite error 10)");
            }

            // Delivered records too, as the journal does until retention deletes them (a resend reads them).
            var from = (int)Math.Max(Math.Max(afterSeq, 0), _agedOutThrough);
            var count = Math.Max(0, Math.Min(max, _records.Count - from));
            return _records.GetRange(from, count);
        }
    }

    /// <summary>Highest seq the publisher reported through <see cref="Acknowledged"/> (in memory, not the cursor).</summary>
    public long AcknowledgedThrough
    {
        get
        {
            lock (_gate)
            {
                return _acknowledged;
            }
        }
    }

    /// <summary>
    /// Whether every acknowledged prefix becomes the durable cursor at once (recorded in
    /// <see cref="Marks"/>), as the journal's writer makes it durable on its own thread; true by
    /// default. False: nothing but <see cref="PersistAcknowledged"/>, a test's
    /// <see cref="MarkDelivered"/> or the publisher's <see cref="CursorDurableAsync"/> moves it.
    /// </summary>
    public bool PersistsAcknowledged { get; init; } = true;

    /// <inheritdoc/>
    public void Acknowledged(long seq)
    {
        lock (_gate)
        {
            _acknowledged = Math.Max(_acknowledged, seq);
        }

        if (PersistsAcknowledged)
        {
            MoveCursor(seq, recordMark: true);
        }
    }

    /// <summary>
    /// Makes the acknowledged prefix the durable cursor without a cursor write
    /// (not in <see cref="Marks"/>), as the journal does with its next commit.
    /// </summary>
    public void PersistAcknowledged() => MoveCursor(AcknowledgedThrough, recordMark: false);

    /// <summary>Writes the cursor, as the journal's own <c>MarkDelivered</c> (not the port's).</summary>
    public void MarkDelivered(long seq) => MoveCursor(seq, recordMark: true);

    /// <inheritdoc/>
    /// <remarks>Durable at once, unless <see cref="HangCursor"/>: then never.</remarks>
    public Task CursorDurableAsync(long seq)
    {
        lock (_gate)
        {
            _acknowledged = Math.Max(_acknowledged, seq);
            if (_cursorHangs)
            {
                return new TaskCompletionSource().Task;
            }
        }

        MoveCursor(seq, recordMark: true);
        return Task.CompletedTask;
    }

    /// <summary>From now on the cursor asked for never becomes durable, as on a card hung in its fsync.</summary>
    public void HangCursor()
    {
        lock (_gate)
        {
            _cursorHangs = true;
        }
    }

    private void MoveCursor(long seq, bool recordMark)
    {
        TaskCompletionSource delivered;
        lock (_gate)
        {
            if (seq > _records.Count)
            {
                throw new InvalidOperationException($"MarkDelivered({seq}) beyond the last seq {_records.Count}.");
            }

            if (recordMark)
            {
                _marks.Add(seq);
            }

            _deliveredThrough = Math.Max(_deliveredThrough, seq);
            delivered = _delivered;
            _delivered = NewSignal();
        }

        delivered.TrySetResult();
    }

    /// <inheritdoc/>
    /// <remarks>As the journal: the bare signal of the next append when that one is enough, so a publisher's abandoned idle wait leaves nothing behind.</remarks>
    public Task WaitForRecordsAfterAsync(long afterSeq, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_records.Count > afterSeq)
            {
                return Task.CompletedTask;
            }

            if (afterSeq > _records.Count)
            {
                return WaitForSeqAheadAsync(afterSeq, cancellationToken);
            }

            signal = _appended.Task;
        }

        return cancellationToken.CanBeCanceled ? signal.WaitAsync(cancellationToken) : signal;
    }

    private async Task WaitForSeqAheadAsync(long afterSeq, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_records.Count > afterSeq)
                {
                    return;
                }

                signal = _appended.Task;
            }

            await signal.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits until the cursor reaches <paramref name="seq"/>; fails with a message after the timeout.</summary>
    public async Task WaitForDeliveredAsync(long seq, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_deliveredThrough >= seq)
                {
                    return;
                }

                signal = _delivered.Task;
            }

            try
            {
                await signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The cursor did not reach {seq} within {timeout} (it is at {DeliveredThrough} of {LastSeq}).");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
