using System.Globalization;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// How rejected commands are journaled under a flood. Each one costs a durable commit before its
/// answer, an alarm row in the journal and an event to the office; anyone the broker lets publish on
/// the command topic, with no key at all, could send them at a pace just under the subscriber's
/// backlog limit and so keep the office's real commands waiting behind fsyncs and push the site's
/// history out of the journal's size limit. So the first <see cref="Allowance"/> rejections of each
/// <see cref="Window"/> are journaled one by one, as always; the rest are answered at once and
/// counted, by rejection, and one summary record (<c>command.rejected</c> with no id, rejection
/// <c>unavailable</c>) is journaled when the window ends. Accepted and repeated commands are never
/// held back.
/// </summary>
/// <param name="time">Clock of the windows and the summary's timer.</param>
/// <param name="journal">Journals a summary (the handler's own dropped-message record).</param>
public sealed class RejectionAudit(TimeProvider time, Func<string, Task> journal)
{
    /// <summary>Rejections journaled one by one in each window; far above any real office's mistakes.</summary>
    public const int Allowance = 20;

    /// <summary>The length of a window, from its first rejection.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly SortedDictionary<CommandRejection, int> _counted = [];
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _journaled;
    private DateTimeOffset _firstCounted;
    private ITimer? _summaryTimer;

    /// <summary>Rejections counted and not yet journaled in a summary.</summary>
    public int Counted
    {
        get
        {
            lock (_gate)
            {
                return _counted.Values.Sum();
            }
        }
    }

    /// <summary>
    /// Whether the rejection at <paramref name="now"/> is journaled on its own; otherwise it is
    /// counted for the window's summary.
    /// </summary>
    public bool JournalsOnItsOwn(CommandRejection rejection, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (now - _windowStart >= Window || now < _windowStart)
            {
                (_windowStart, _journaled) = (now, 0);
            }

            if (_journaled < Allowance)
            {
                _journaled++;
                return true;
            }

            if (_counted.Count == 0)
            {
                _firstCounted = now;
                // The summary goes once this window is over, whether or not the flood goes on.
                var due = _windowStart + Window - now;
                _summaryTimer = time.CreateTimer(_ => _ = FlushAsync(), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }

            _counted[rejection] = _counted.GetValueOrDefault(rejection) + 1;
            return false;
        }
    }

    /// <summary>Journals the summary of what was counted, if anything; at the window's end and at a stop.</summary>
    public Task FlushAsync()
    {
        string summary;
        lock (_gate)
        {
            if (_counted.Count == 0)
            {
                return Task.CompletedTask;
            }

            var total = _counted.Values.Sum();
            var kinds = string.Join(", ", _counted.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key.Code()} {c.Value}")));
            summary = string.Create(CultureInfo.InvariantCulture,
                $"{total} more rejected command(s) ({kinds}) from {_firstCounted:O} to {time.GetUtcNow():O} were answered but not journaled one by one: "
                + $"more than {Allowance} rejections within {Window.TotalSeconds:0} s (a flood on the command topic)");
            _counted.Clear();
            _summaryTimer?.Dispose();
            _summaryTimer = null;
        }

        return journal(summary);
    }
}
