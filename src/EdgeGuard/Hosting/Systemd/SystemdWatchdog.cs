using System.Globalization;
using EdgeGuard.Controller;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting.Systemd;

/// <summary>
/// Tells systemd when the gateway is up (<c>READY=1</c>), that it is still deciding (<c>WATCHDOG=1</c>)
/// and when it stops (<c>STOPPING=1</c>), with a one-line <c>STATUS=</c> for <c>systemctl status</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each period a heartbeat goes into the controller's channel (<see cref="SiteController.HeartbeatAsync"/>)
/// and a ping is sent only once the loop has handled it. Why this and not a timestamp the loop writes
/// per input: the input path stays as it is (no clock read, no write, no syscall per event — its budget
/// is p99 &lt; 50 µs, docs/PERFORMANCE.md), and the heartbeat proves the whole path — channel, decide,
/// persist, drive, report — rather than just that some thread is alive. It also wakes an idle loop,
/// so a quiet site is never mistaken for a hung one, while a loop stuck in a sink, a disk write or a
/// driver call never answers: the pings stop and systemd restarts the service after <c>WatchdogSec</c>.
/// A loop that is merely behind answers late; the pending heartbeat is kept, not piled up.
/// </para>
/// <para>
/// The loop only hands events to the journal's queue ("report" above is that hand-off), so the journal's
/// writer thread is watched separately: when events wait for it and it has handled none of them for
/// <see cref="JournalStallDetector.Limit"/>, that is logged at Critical and leads the
/// <c>STATUS=</c> line until it moves again. Pings go on: the loop still decides and drives the outputs, and a
/// restart would stop a gateway that is protecting the site only to meet the same hung card (it
/// used to withhold them, and systemd killed the gateway for a stalled journal).
/// </para>
/// <para>
/// READY waits for the first answered heartbeat: by then the controller has restored the safety state,
/// driven every output to the boot plan and is running its loop, so systemd never reports the service
/// up while outputs are undefined. The MQTT link plays no part: the site is protected without it.
/// </para>
/// </remarks>
public sealed partial class SystemdWatchdog(
    SystemdNotifier notifier,
    TimeSpan? watchdogInterval,
    SiteController controller,
    Func<string> status,
    TimeProvider time,
    ILogger<SystemdWatchdog> log,
    Func<JournalProgress>? journalProgress = null) : BackgroundService
{
    private readonly JournalStallDetector _journal = new(time);

    /// <summary>How often the status line is refreshed when systemd runs no watchdog.</summary>
    public static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);

    private bool _journalStalled;
    private long _periodsStarted;
    private long _pingsWithheld;
    private long _notifyFailures;
    private long _pings;

    /// <summary>
    /// Sends one heartbeat and completes when it was answered: the controller's, or in tests one that fails.
    /// A heartbeat that is cancelled or faults (a loop that no longer takes messages) withholds the ping.
    /// </summary>
    internal Func<Task> Heartbeat { get; init; } = controller.HeartbeatAsync;

    /// <summary>Watchdog periods begun so far (tests wait on it before moving a fake clock past the period).</summary>
    public long PeriodsStarted => Interlocked.Read(ref _periodsStarted);

    /// <summary>Periods that ended with the controller's heartbeat unanswered, so no ping was sent.</summary>
    public long PingsWithheld => Interlocked.Read(ref _pingsWithheld);

    /// <summary>Notifications systemd could not take (its queue full), each sent again the next period.</summary>
    public long NotifyFailures => Interlocked.Read(ref _notifyFailures);

    /// <summary>Notifications sent after READY (watchdog pings, or status refreshes without a watchdog).</summary>
    public long Pings => Interlocked.Read(ref _pings);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled)
        {
            return;
        }

        await controller.Booted.WaitAsync(stoppingToken).ConfigureAwait(false);
        var period = watchdogInterval ?? StatusInterval;
        var ready = false;
        string? lastStatus = null;
        Task? pending = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (pending is null)
            {
                pending = Heartbeat();
            }

            var periodEnds = Task.Delay(period, time, stoppingToken);
            Interlocked.Increment(ref _periodsStarted);
            if (await Task.WhenAny(pending, periodEnds).ConfigureAwait(false) == pending && pending.IsCompletedSuccessfully)
            {
                pending = null;
                var line = JournalStall() + status();
                var message = (ready ? (watchdogInterval is null ? string.Empty : "WATCHDOG=1\n") : "READY=1\n")
                    + (line == lastStatus ? string.Empty : $"STATUS={line}");
                if (message.Length > 0 && !notifier.Notify(message.TrimEnd('\n')))
                {
                    // Sent again next period: taken as sent, a READY=1 systemd's full queue dropped
                    // left the unit activating until TimeoutStartSec killed it (restart after
                    // restart, then the start limit's reboot), and a dropped STATUS= stayed unsaid.
                    LogNotifyFailed();
                    Interlocked.Increment(ref _notifyFailures);
                    await periodEnds.ConfigureAwait(false);
                    continue;
                }

                if (ready)
                {
                    Interlocked.Increment(ref _pings);
                }
                else
                {
                    LogReady(watchdogInterval);
                }

                (ready, lastStatus) = (true, line);
                await periodEnds.ConfigureAwait(false);
            }
            else if (!stoppingToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _pingsWithheld);
                LogLoopStalled(period);
                if (pending.IsCompleted)
                {
                    // Cancelled or faulted (the loop no longer takes messages): it will never answer. Kept, it would
                    // make WhenAny return at once forever — a busy loop flooding the log. Ask again next period.
                    pending = null;
                    await periodEnds.ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// What leads the status line while the journal's writer is stuck (empty otherwise); logs the
    /// stall once when it is found and once when the writer moves again.
    /// </summary>
    private string JournalStall()
    {
        if (journalProgress is null)
        {
            return string.Empty;
        }

        var progress = journalProgress();
        var stalledFor = _journal.Observe(progress);
        if (!JournalStallDetector.IsStuck(stalledFor))
        {
            if (_journalStalled)
            {
                _journalStalled = false;
                LogJournalMoving();
            }

            return string.Empty;
        }

        if (!_journalStalled)
        {
            _journalStalled = true;
            LogJournalStalled(stalledFor, progress.Waiting);
        }

        // Whole minutes: the line, and so the STATUS= sent, changes once a minute, not every
        // period.
        return string.Create(CultureInfo.InvariantCulture,
            $"JOURNAL WRITER STALLED {(int)stalledFor.TotalMinutes} min, {progress.Waiting} events waiting (not recorded or sent; the site is still protected); ");
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // First thing on the way down: systemd then knows the stop is intended, not a hang.
        notifier.Notify("STOPPING=1\nSTATUS=stopping");
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The period delay was cancelled: that is how this service stops.
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "systemd: READY=1 sent (outputs at the boot plan, controller loop running); watchdog ping every {Interval}")]
    private partial void LogReady(TimeSpan? interval);

    [LoggerMessage(EventId = 401, Level = LogLevel.Critical, Message = "Controller loop has not answered its heartbeat for {Period}: WATCHDOG=1 withheld, systemd will restart the gateway if it stays stuck")]
    private partial void LogLoopStalled(TimeSpan period);

    [LoggerMessage(EventId = 403, Level = LogLevel.Critical, Message = "Journal writer has handled none of {Waiting} waiting events for {StalledFor}: events are neither recorded nor sent to the office (a hung SD card?); the controller loop still answers, so WATCHDOG=1 goes on and the site stays protected")]
    private partial void LogJournalStalled(TimeSpan stalledFor, long waiting);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Journal writer is handling its waiting events again")]
    private partial void LogJournalMoving();

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "systemd notification could not be sent")]
    private partial void LogNotifyFailed();
}
