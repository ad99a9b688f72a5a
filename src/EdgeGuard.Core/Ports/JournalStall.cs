namespace EdgeGuard.Core.Ports;

/// <summary>
/// The journal's writer thread is stuck (an SD card hung in fsync): events wait for it and it has
/// handled none of them for a minute. The site stays protected, but those events are neither
/// recorded nor sent, so the office is told out of band (<c>state/delivery</c>).
/// </summary>
/// <param name="Since">When the writer last made progress (the stall's start); stable while it lasts.</param>
/// <param name="Waiting">Events waiting in memory for the writer.</param>
public readonly record struct JournalStall(DateTimeOffset Since, long Waiting);

/// <summary>Where another thread (the MQTT publisher) can read whether the journal's writer is stuck.</summary>
public interface IJournalStallSource
{
    /// <summary>The stall while the writer is stuck; null while it keeps up (or nothing waits).</summary>
    JournalStall? Stall { get; }
}
