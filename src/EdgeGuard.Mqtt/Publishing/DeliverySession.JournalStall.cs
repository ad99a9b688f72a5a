using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Publishing;

// A journal writer stuck on its disk (an SD card hung in fsync). The watchdog keeps pinging while
// the controller answers, so the gateway stays online and protects the site, but the events it
// decides wait in memory: not recorded, and not sent, since the publisher reads the journal. The
// office would see a quiet online gateway. So the idle state check reads the stall from the host
// (IJournalStallSource: the watchdog's rule, no progress for a minute with events waiting), not
// through the journal, and state/delivery shows it. One message when it starts, one when the
// count waiting changes (at most once per StateCheckInterval), one when it ends.
internal sealed partial class DeliverySession
{
    private readonly IJournalStallSource? _journalStalls;

    // What state/delivery last carried of the stall in this session.
    private JournalStall? _journalStallShown;

    /// <summary>From the idle state check: makes state/delivery due when the stall it shows is not the current one.</summary>
    private bool CheckJournalStallShown()
    {
        if (_journalStalls is null || _pendingDelivery || _journalStalls.Stall == _journalStallShown)
        {
            return false;
        }

        _pendingDelivery = true;
        return true;
    }
}
