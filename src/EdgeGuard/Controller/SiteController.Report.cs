using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// A decision's events, logged and handed to the sinks (the journal, which the office is fed
// from), after the decision was taken and its outputs driven. Nothing here may throw: out of the
// loop's message a throw ended the loop, and the site decided nothing more; out of an edge decided
// on its GPIO thread it reached the input lines, which took the decided edge as refused and
// counted it lost (ThrowingReportTests). The journal's Publish never throws by design; a logger
// provider may (Microsoft.Extensions.Logging rethrows its providers' errors), and so may a sink
// added later. A sink that throws is logged and the sinks after it still get the events.
#pragma warning disable CA1031 // Catch-alls on purpose: see above.
public sealed partial class SiteController
{
    // The timer's next try when working out the next deadline threw: a deadline is then late by
    // this at most, never missed for good.
    private static readonly TimeSpan TimerRetryAfterFault = TimeSpan.FromSeconds(1);

    private void Report(List<DomainEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        foreach (var e in events)
        {
            try
            {
                LogEvent(e.Severity switch
                {
                    Severity.Critical => LogLevel.Critical,
                    Severity.Alarm => LogLevel.Error,
                    Severity.Warning => LogLevel.Warning,
                    _ => LogLevel.Information,
                }, e.Type, e.Point, e.Severity, new LoggedEventData(e));
            }
            catch (Exception)
            {
                // The log itself failed: there is nowhere to tell, and the sinks come next.
            }
        }

        foreach (var sink in _sinks)
        {
            try
            {
                sink.Publish(events);
            }
            catch (Exception ex)
            {
                TryLog(() => LogSinkFailed(ex, sink.GetType().Name, events.Count));
            }
        }
    }

    // After a message's report: the timer armed for the next deadline (debounce ends, siren
    // timeouts, retries), or, if working that out threw, for a try again soon.
    private void ScheduleTimerAfterReport(Moment now)
    {
        try
        {
            ScheduleTimer(now);
        }
        catch (Exception ex)
        {
            TryLog(() => LogLoopFault(ex, "the timer's next deadline"));
            try
            {
                _timer?.Change(TimerRetryAfterFault, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Stopping: no deadline matters any more.
            }
        }
    }

    private static void TryLog(Action log)
    {
        try
        {
            log();
        }
        catch (Exception)
        {
            // The log itself failed: there is nowhere to tell.
        }
    }

    [LoggerMessage(EventId = 1, Message = "{EventType} point={Point} severity={Severity} data={Data}")]
    private partial void LogEvent(LogLevel level, string eventType, string? point, Severity severity, LoggedEventData data);

    [LoggerMessage(EventId = 28, Level = LogLevel.Critical, Message = "Event sink {Sink} failed: the {Count} event(s) of this decision may not have reached it; the site goes on deciding")]
    private partial void LogSinkFailed(Exception ex, string sink, int count);

    /// <summary>
    /// An event's data as the office receives it (the journal's <c>data</c> JSON), written only
    /// when a log line is: the record's own text showed its lists as type names
    /// (<c>System.Collections.Generic.List`1[System.String]</c>), and computing it for a level
    /// that is off would cost the loop for nothing.
    /// </summary>
    private readonly struct LoggedEventData(DomainEvent domainEvent)
    {
        public override string ToString() => EventDataWriter.Describe(domainEvent).DataJson;
    }
}
#pragma warning restore CA1031
