using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The opener's fault.journal-replaced is recorded in gateway_meta with the step it reports
// (JournalDatabase.Replace.cs) and raised again by every start until it is journaled: the commit
// whose rows hold a fault.journal-replaced clears it, in the same transaction. Not the first
// commit as such: the host publishes the fault first, but a commit that fails drops it (its seqs
// declared by a gap), and a later commit of the controller's events must not clear a fault the
// office never got; the next start raises it again instead, at least once rather than never.
public sealed partial class EventJournal
{
    // Whether gateway_meta holds a fault not yet journaled. Set at the open; then writer thread only.
    private bool _faultRecorded;

    // Set by a transaction that cleared it, until its commit. Writer thread only.
    private bool _faultCleared;

    private void ClearJournaledFault(SqliteTransaction transaction, ChainedRow[] rows)
    {
        _faultCleared = false;
        if (!_faultRecorded || !rows.Any(r => r.Type == JournalDatabase.PendingFaultType))
        {
            return;
        }

        JournalDatabase.SetPendingFault(transaction, fault: null);
        _faultCleared = true;
    }

    // After the commit: a rolled-back clear leaves the fault recorded for the next one.
    private void FaultJournaled()
    {
        if (_faultCleared)
        {
            _faultRecorded = false;
            _faultCleared = false;
        }
    }
}
