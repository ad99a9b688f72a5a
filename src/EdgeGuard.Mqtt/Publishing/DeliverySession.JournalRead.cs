using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Publishing;

// Reading the outbox. A read that fails (SQLite I/O error on a failing card; a corrupt row comes
// back as a record of its own and never fails it) used to end the session without a DISCONNECT:
// the broker published the will, the gateway reconnected and failed again, and the office saw the
// gateway flap and no events. Now the connection is kept and the read is retried with the
// reconnect backoff; the pump idles meanwhile (the replay too: it must not end early), its keep-
// alive checks still running. The first failure of an episode is reported once as fault.delivery
// for the seq that could not be read. The read may run on the thread that journaled a record (the
// controller's): nothing but the read itself happens there, the report and the log follow from the
// pump's own pass (Fill), since the fault goes to that same journal.
internal sealed partial class DeliverySession
{
    // Since when (timestamp of _time) the last read has failed, and how long to wait before the
    // next; null while reads work.
    private long? _readFailedAt;
    private TimeSpan _readRetryDelay;
    private int _readFailures;

    // A failure still to report and log from the pump's pass: the seq, the reason, the exception.
    private (long Seq, string Reason, Exception Error)? _readFaultToReport;
    private bool _readRecoveryToLog;

    /// <summary>The next records after <paramref name="afterSeq"/>; none while a failed read waits out its backoff.</summary>
    private IReadOnlyList<JournalRecord> ReadOutbox(long afterSeq)
    {
        if (JournalReadDueIn() is { } dueIn && dueIn > TimeSpan.Zero)
        {
            return [];
        }

        try
        {
            var records = _outbox.ReadAfter(afterSeq, _options.BatchSize);
            if (_readFailedAt is not null)
            {
                _readFailedAt = null;
                _readRecoveryToLog = true;
            }

            return records;
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or ObjectDisposedException or OperationCanceledException))
        {
            // A disposed journal (shutdown) or a cancelled pump still ends the session.
            _readRetryDelay = ReconnectBackoff.Delay(_readFailures++, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
            _readFailedAt = _time.GetTimestamp();
            _readFaultToReport ??= (afterSeq + 1, OutboxPublisher.Shortened("the journal could not be read: " + ex.Message, OutboxPublisher.MaxFileReason), ex);
            return [];
        }
    }

    /// <summary>How long until a failed read is tried again; null while reads work.</summary>
    private TimeSpan? JournalReadDueIn() => _readFailedAt is { } since ? _readRetryDelay - _time.GetElapsedTime(since) : null;

    /// <summary>From the pump's pass: reports and logs a read failure, or the end of one.</summary>
    private void ReportJournalReadFault()
    {
        if (_readFaultToReport is { } failure)
        {
            _readFaultToReport = null;
            if (_faults.ReadFailed(failure.Seq, failure.Reason))
            {
                LogJournalUnreadable(failure.Error, failure.Seq, _readRetryDelay.TotalMilliseconds);
            }
        }

        if (_readRecoveryToLog && _readFailedAt is null)
        {
            _readRecoveryToLog = false;
            _faults.ReadRecovered();
            LogJournalReadable(_readFailures);
            _readFailures = 0;
        }
    }
}
