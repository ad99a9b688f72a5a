using System.Globalization;

namespace EdgeGuard.Hosting.Systemd;

/// <summary>
/// What the gateway tells systemd while it waits for the gateway lock a walk test holds
/// (<see cref="GatewayLock.AcquireWaitingAsync(string, Action{GatewayLockedException}, Action{GatewayLockedException}, TimeProvider, CancellationToken)"/>),
/// and once it has it.
/// </summary>
/// <remarks>
/// Without these a start that waits is a start that hangs: systemd timed it out after <c>TimeoutStartSec</c>
/// (90 s, 93 s with <c>RestartSec</c>) and started it again, and the 20th start within the hour hit
/// <c>StartLimitBurst=20</c> with <c>StartLimitAction=reboot</c>: the Pi rebooted under the technician about
/// half an hour into the walk test. <c>EXTEND_TIMEOUT_USEC</c> keeps the start alive as long as it is renewed,
/// so a waiting gateway that hangs is still timed out soon, not after the whole walk test.
/// </remarks>
internal static class LockWaitNotices
{
    /// <summary>
    /// How long each renewal keeps the start alive: several retry intervals, so that a Pi busy for a few
    /// seconds does not lose the start between two renewals, yet a hung waiter is timed out within seconds.
    /// </summary>
    public static readonly TimeSpan WaitingExtension = GatewayLock.RetryInterval * 10;

    /// <summary>
    /// The start's budget once the lock is taken: the unit's <c>TimeoutStartSec</c>. Its own deadline passed long
    /// ago, and without a new extension the last one (seconds) would be all the boot had left.
    /// </summary>
    public static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(90);

    /// <summary>Sent on every attempt that finds the lock held: the extension, and why the start takes so long.</summary>
    public static string Waiting(GatewayLockedException held)
    {
        ArgumentNullException.ThrowIfNull(held);
        return $"{Extend(WaitingExtension)}\nSTATUS=waiting for the walk test to end: the gateway lock {held.LockPath} is held by {held.Holder} "
            + "(a walk test, or another gateway on these lines); this site is NOT PROTECTED until the gateway starts";
    }

    /// <summary>Sent once the lock is taken after waiting: a whole start's budget for the boot that follows.</summary>
    public static string Acquired { get; } = $"{Extend(StartBudget)}\nSTATUS=gateway lock taken, starting";

    private static string Extend(TimeSpan by) =>
        string.Create(CultureInfo.InvariantCulture, $"EXTEND_TIMEOUT_USEC={(long)by.TotalMicroseconds}");
}
