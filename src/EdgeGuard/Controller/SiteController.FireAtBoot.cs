using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// A fire already burning when the gateway boots. The outputs are opened at the restored plan before
// any input is read, and the fire was only seen at the settled read, 100 ms later, and driven after
// that read's safety-state save (up to 500 ms more). A restored lockdown covering an egress door, or
// a normally-locked egress door, was therefore energised (locked) for 100-600 ms during a fire:
// after a power cut, a fail-safe egress maglock that had dropped open locked again before it
// released. Life safety beats lockdown, and an egress door must never lock during a fire, so the
// fire inputs are read once, raw, before the outputs are opened, and the egress locks are opened
// released if any reads active. Only the settled read latches the release (FireEgressReleased, its
// event, its save), as before: a boot transient alone must not latch a release until a person
// resets it. A fire the settled read does not confirm released egress for the settle time only,
// and the first reconcile drives the plan again.
//
// The fire inputs are also read once before the boot waits for the saved state (up to
// BootLoadDeadline on a slow card). After a power cut the outputs are undriven through that wait,
// but a service restart (an update, the watchdog) on a kernel that keeps a released line at its
// level left the egress maglock energised from the previous run, with a fire active, for the whole
// load. So a fire input that reads active then opens the native egress locks released at once:
// fire beats lockdown in every plan, so that is right whatever the saved state holds. The other
// outputs wait for the plan, as before. Expander egress locks wait too: a chip is configured as a
// whole, every output on it at its plan level, so one pin cannot be driven before the others'
// plan is known. Only a fire input that reads active counts here, not one that cannot be read:
// that is mostly an expander chip that lost its power with the gateway, whose relays dropped
// anyway, and the read before the outputs still takes it as active, as before. A fire that starts
// during the load counts too: the fire inputs are read again every FireReadWhileLoading until the
// load ends or one reads active, so a slow card holds the maglock at most that long, not 5 s.
public sealed partial class SiteController
{
    /// <summary>
    /// The native egress locks opened released before the load of the saved state because a fire
    /// input read active then (<see cref="ReleaseEgressBeforeLoad"/>); null when none were, and once
    /// <see cref="OpenOutputs"/> took them over.
    /// </summary>
    private IOutputLines? _egressBeforeLoad;

    /// <summary>
    /// How often the fire inputs are read again while the boot waits for the saved state: the
    /// longest a fire that starts during the load leaves a native egress lock energised then.
    /// </summary>
    internal static readonly TimeSpan FireReadWhileLoading = TimeSpan.FromMilliseconds(100);

    /// <summary>The native egress locks: the outputs <see cref="ReleaseEgressBeforeLoad"/> may open.</summary>
    private IEnumerable<OutputDefinition> NativeEgressLocks =>
        site.Outputs.Where(o => o is { Kind: OutputKind.Lock, Egress: true, LineAddress: null });

    /// <summary>
    /// Before the saved state is loaded, and while it loads: reads the fire inputs raw and, when one
    /// reads active, opens the native egress locks at their released level. A failure to open them
    /// is logged and left: they are opened with the other outputs after the load, as before.
    /// </summary>
    /// <param name="first">
    /// The read before the load: a fire input that cannot be read is logged then, not on every
    /// read while the load runs.
    /// </param>
    /// <returns>
    /// Whether to read again: there are native egress locks and fire inputs, and no read found a
    /// fire yet (once one did, the locks are opened, or tried once: a failure that would recur
    /// every read is not tried 50 times).
    /// </returns>
    private bool ReleaseEgressBeforeLoad(bool first)
    {
        var released = NativeEgressLocks.ToDictionary(o => o.Id, o => o.LevelFor(false), StringComparer.Ordinal);
        if (released.Count == 0 || !site.Points.Any(p => p.Kind == PointKind.FireAlarm))
        {
            return false;
        }

        if (FireBeforeOutputs(logFailures: first) is not { Active.Count: > 0 } fire)
        {
            return true;
        }

        try
        {
            // Not the last call: an I/O board's expanders are configured with the rest, at the plan.
            _egressBeforeLoad = createOutputs(released, last: false);
        }
#pragma warning disable CA1031 // Not opened early is the old boot order, not a failed start.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEgressBeforeLoadFailed(ex.Message);
            return false;
        }

        LogEgressBeforeLoad(string.Join(", ", fire.Active), string.Join(", ", released.Keys));
        return false;
    }

    /// <summary>
    /// Reads the fire inputs every <see cref="FireReadWhileLoading"/> (on the controller's clock)
    /// until <paramref name="load"/> ends, the start is cancelled, or a read finds a fire.
    /// </summary>
    private async Task WatchFireWhileLoadingAsync(Task load, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (!load.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            var tick = Task.Delay(FireReadWhileLoading, time, stop.Token);
            if (await Task.WhenAny(load, tick).ConfigureAwait(false) == load || !ReleaseEgressBeforeLoad(first: false))
            {
                break;
            }
        }

        // The tick still pending, if any, is not left on the clock.
        await stop.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The output lines once the saved state is known, when the native egress locks were opened
    /// before the load: those are driven to <paramref name="levels"/> (still released if a fire
    /// reads active before the outputs, else the plan's), the rest opened at theirs.
    /// </summary>
    private IOutputLines OpenAfterEgressBeforeLoad(IOutputLines early, IReadOnlyDictionary<string, bool> levels)
    {
        _egressBeforeLoad = null;
        var earlyIds = NativeEgressLocks.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in earlyIds)
        {
            try
            {
                early.Write(id, levels[id]);
            }
#pragma warning disable CA1031 // A failed write keeps the level last driven; the first reconcile drives it again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogEgressBeforeLoadWriteFailed(id, ex.Message);
            }
        }

        // Opened even when it names none: the last call configures an I/O board's expanders, one
        // carrying only inputs too (OutputLinesFactory).
        var rest = levels.Where(kv => !earlyIds.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        IOutputLines lines;
        try
        {
            lines = createOutputs(rest);
        }
        catch
        {
            // Closed without changing their levels: a start that fails leaves egress released.
            early.Dispose();
            throw;
        }

        return new RoutedOutputLines([(early, earlyIds), (lines, rest.Keys)]);
    }

    /// <summary>
    /// <see cref="ReleaseEgressBeforeLoad"/>, then <see cref="LoadSafetyStateAsync"/>, reading the
    /// fire inputs again while it runs (<see cref="WatchFireWhileLoadingAsync"/>). A start that
    /// fails (or is cancelled) while it loads closes the lines opened before the load, without
    /// changing their levels.
    /// </summary>
    private async Task<(SafetyState Safety, string? Unreadable)> LoadAfterFireCheckAsync(CancellationToken cancellationToken)
    {
        var watch = ReleaseEgressBeforeLoad(first: true);
        try
        {
            var load = LoadSafetyStateAsync(cancellationToken);
            if (watch)
            {
                await WatchFireWhileLoadingAsync(load, cancellationToken).ConfigureAwait(false);
            }

            return await load.ConfigureAwait(false);
        }
        catch
        {
            _egressBeforeLoad?.Dispose();
            _egressBeforeLoad = null;
            throw;
        }
    }

    /// <summary>
    /// The fire inputs' raw levels before the outputs are opened, or null when none reads active and
    /// none is unreadable (or the site has no egress lock, so there is nothing to release). A fire
    /// input that cannot be read then (an expander pin whose chip was just powered on: it is
    /// configured with its outputs; an ADC that does not answer or whose samples disagree; a read
    /// that throws) counts as active: the rule a dead chip's points follow
    /// (<c>TamperedLoop.ReadsActive</c>). A release wrongly taken costs the settle time with the
    /// egress doors unlocked, as a power cut leaves a fail-safe maglock anyway; one wrongly missed
    /// locks people in a fire.
    /// </summary>
    /// <param name="logFailures">Whether a read that throws is logged (not on every read while the load runs).</param>
    private (IReadOnlyList<string> Active, IReadOnlyList<string> Unread)? FireBeforeOutputs(bool logFailures = true)
    {
        if (!site.Outputs.Any(o => o is { Kind: OutputKind.Lock, Egress: true }))
        {
            return null;
        }

        List<string>? active = null;
        List<string>? unread = null;
        foreach (var point in site.Points.Where(p => p.Kind == PointKind.FireAlarm))
        {
            bool? level;
            try
            {
                level = inputs.ReadBeforeOutputs(point.Id);
            }
#pragma warning disable CA1031 // A read that fails is a fire input not read: the safe side, not a failed boot.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (logFailures)
                {
                    LogFireReadFailed(point.Id, ex.Message);
                }

                level = null;
            }

            if (level is not { } high)
            {
                (unread ??= []).Add(point.Id);
            }
            else if (point.IsActive(high))
            {
                (active ??= []).Add(point.Id);
            }
        }

        return active is null && unread is null ? null : (active ?? [], unread ?? []);
    }

    /// <summary>
    /// The levels the outputs are opened at: the restored plan's, with every egress lock at its
    /// released level when a fire input read active (or could not be read) before the outputs.
    /// </summary>
    private IReadOnlyDictionary<string, bool> BootLevels(OutputPlan plan)
    {
        var levels = plan.Levels(site);
        if (FireBeforeOutputs() is not { } fire)
        {
            return levels;
        }

        var released = new Dictionary<string, bool>(levels, StringComparer.Ordinal);
        foreach (var output in site.Outputs.Where(o => o is { Kind: OutputKind.Lock, Egress: true }))
        {
            released[output.Id] = output.LevelFor(false);
        }

        LogFireBeforeOutputs(string.Join(", ", fire.Active), string.Join(", ", fire.Unread));
        return released;
    }

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "Fire inputs read active before the saved state was loaded: [{Active}]; native egress locks [{Locks}] released at once, the other outputs wait for the plan")]
    private partial void LogEgressBeforeLoad(string active, string locks);

    [LoggerMessage(EventId = 26, Level = LogLevel.Error, Message = "A fire input read active before the saved state was loaded, but the native egress locks could not be opened released then ({Failure}); they are opened with the other outputs after the load")]
    private partial void LogEgressBeforeLoadFailed(string failure);

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "The egress lock {Output}, opened before the load, could not be driven to its boot level ({Failure}); the first reconcile drives it again")]
    private partial void LogEgressBeforeLoadWriteFailed(string output, string failure);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Fire inputs read before the outputs were opened: active [{Active}], not readable yet [{Unread}]; egress locks opened released until the settled read decides the fire release")]
    private partial void LogFireBeforeOutputs(string active, string unread);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "The fire input {Point} could not be read before the outputs were opened ({Failure}); taken as active until the settled read")]
    private partial void LogFireReadFailed(string point, string failure);
}
