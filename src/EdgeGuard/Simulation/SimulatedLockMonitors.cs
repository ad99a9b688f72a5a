using EdgeGuard.Core.Site;
using Microsoft.Extensions.Hosting;

namespace EdgeGuard.Simulation;

/// <summary>
/// Moves every simulated lock monitor (<see cref="DoorDefinition.LockMonitor"/>) as a bond or keeper sensor
/// would: active exactly while the door's lock output is driven at its locked level and the door's contact
/// is at rest (closed). Without it every monitor rested inactive in simulate mode, and a normally locked
/// door raised a false <c>door.lock-fault</c> 3 s after every start. Simulate mode only, never real lines.
/// </summary>
/// <remarks>
/// It follows changes only: a monitor is set when its door's (locked, closed) pair changes, so a person who
/// sets it by hand (<c>edgeguard sim deactivate …</c>) simulates a lock fault that lasts until the lock or
/// the door next changes. It polls every <see cref="PollInterval"/> rather than hooking output writes: the
/// lock's line is written from the controller's loop (native) and from each expander's writer thread, and the
/// contact from the socket, scenarios and tests; setting an input from inside those writes would run the
/// gateway's edge callbacks re-entrantly on them. A poll reads both the same way, from its own thread, and a
/// real bond sensor lags its lock by tens of milliseconds too (the gateway allows 3 s).
/// </remarks>
/// <param name="site">The doors and their points and locks.</param>
/// <param name="board">Where the lines are read and the monitors set.</param>
/// <param name="time">The poll's clock.</param>
public sealed class SimulatedLockMonitors(SiteDefinition site, SimulatedBoard board, TimeProvider time) : IHostedService, IDisposable
{
    /// <summary>How often the locks and doors are looked at.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (bool Locked, bool Closed)> _seen = new(StringComparer.Ordinal);
    private readonly List<(DoorDefinition Door, OutputDefinition Lock, PointDefinition Contact, PointDefinition Monitor)> _doors =
        [.. site.DoorList
            .Where(d => d is { LockMonitor: not null, ContactPoint: not null })
            .Select(d => (d, site.Output(d.LockId), site.Point(d.ContactPoint!), site.Point(d.LockMonitor!)))];

    private ITimer? _timer;

    /// <summary>
    /// Sets each monitor whose door's (locked, closed) pair changed since the last call (every monitor on the
    /// first): active when the lock is driven locked and the door closed, inactive otherwise.
    /// </summary>
    public void Follow()
    {
        lock (_gate)
        {
            foreach (var (door, lockOutput, contact, monitor) in _doors)
            {
                var now = (Locked: board.OutputLevel(lockOutput) == lockOutput.LevelFor(active: true), Closed: !board.IsActive(contact));
                if (_seen.TryGetValue(door.Id, out var last) && last == now)
                {
                    continue; // unchanged: a monitor set by hand stays so
                }

                _seen[door.Id] = now;
                board.Set(monitor, now.Locked && now.Closed);
            }
        }
    }

    /// <summary>
    /// Sets every monitor now and then follows on a timer until disposed. Started before the gateway opens its
    /// outputs, the first poll after they are driven sets the monitors within the controller's settle time,
    /// so the settled read already sees a locked door's monitor active.
    /// </summary>
    /// <returns>This, to be disposed when the lines are no longer simulated.</returns>
    public SimulatedLockMonitors Start()
    {
        Follow();
        lock (_gate)
        {
            _timer ??= _doors.Count == 0 ? null : time.CreateTimer(_ => Follow(), null, PollInterval, PollInterval);
        }

        return this;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Stops following.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
