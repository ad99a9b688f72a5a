using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Hardware.Board;

// The ADC's one fault: raised while a poll finds a loop it cannot read or refused edges, restored when
// none is left, and naming exactly the loops it leaves unread (HardwareFault.Points).
public sealed partial class EolLoopLines
{
    // The loops the standing fault names unread (HardwareFault.Points); a fault naming others is raised anew.
    private string[] _faultPoints = [];

    /// <summary>Raises, restores or raises anew the ADC's fault after a poll found <paramref name="failure"/> (null: nothing). Under _gate.</summary>
    private void FaultOrRestore(string? failure, List<DomainEvent> events)
    {
        // The fault names the loops it leaves unread (an egress door whose exit buttons are all among
        // them is released): when they change, it is restored and raised anew, or a loop that reads
        // again stayed named (its door held released) and one lost under a standing fault (refused
        // edges, another loop) was never named (a person pressing it trapped).
        var unread = failure is null ? [] : UnreadLoops();
        if (failure is not null && _faulted && !unread.AsSpan().SequenceEqual(_faultPoints))
        {
            events.Add(new HardwareFaultRestored(_time.GetUtcNow(), _device));
            _faulted = false;
        }

        if (failure is not null && !_faulted)
        {
            events.Add(new HardwareFault(_time.GetUtcNow(), _device, failure) { Points = unread });
        }
        else if (failure is null && _faulted)
        {
            events.Add(new HardwareFaultRestored(_time.GetUtcNow(), _device));
        }

        (_faulted, _faultPoints) = (failure is not null, unread);
    }

    // The loops with no readable state (unreadable, readings that do not settle, or not read yet at boot): what
    // a fault leaves unread (HardwareFault.Points). A cut or bridged loop is read; its tamper says so. Under _gate.
    private string[] UnreadLoops() =>
        [.. _loops.Where(l => l.Value is not { HasAccepted: true, Accepted: not null }).Select(l => l.Key).Order(StringComparer.Ordinal)];
}
