using System.Globalization;
using EdgeGuard.Core;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>What the handler does with one rejection (<see cref="RejectionAudit.Admit"/>).</summary>
/// <param name="OnItsOwn">Journal it on its own, as always.</param>
/// <param name="Notice">
/// When not null (and <paramref name="OnItsOwn"/> false): this is the first rejection counted in its
/// window; journal this notice durably before answering, so a crash during the flood leaves a trace.
/// </param>
public readonly record struct RejectionAdmission(bool OnItsOwn, string? Notice);

/// <summary>
/// How rejected commands are journaled under a flood. Each one costs a durable commit before its
/// answer, a row in the journal and an event to the office; anyone the broker lets publish on the
/// command topic, with no key at all, could send them at a pace just under the subscriber's backlog
/// limit, keep the office's real commands waiting behind fsyncs and push the site's history out of
/// the journal's size limit. So the first <see cref="Allowance"/> rejections of each
/// <see cref="Window"/> are journaled one by one, as always, while the kind's long-term
/// <see cref="Budget"/> lasts; past either, the first counted one is announced durably
/// (<see cref="RejectionAdmission.Notice"/>), the rest are answered at once and counted, and one
/// summary is journaled when the window ends (<see cref="BudgetSummaryInterval"/> after the notice
/// when the budget ran out), or at a stop. Every rejection is either journaled on its own or
/// counted in a summary.
/// </summary>
/// <remarks>
/// Payloads that did not parse (oversized, malformed, invalid field), payloads that parsed and name
/// an operator (a forged signature, a replay, a command signed for another gateway or expired…),
/// and payloads refused for the operator's role have an allowance and a budget each, so cheap junk
/// cannot push the attempts that impersonate an operator out of the journal's individual records,
/// and forgeries cannot push out what only a fresh signature of a real key (a stolen one) could
/// have sent: with one kind for the last two, a forged payload every 18 s kept its budget used up,
/// and a stolen key's refused command was left to a summary with no id. Only the role's refusal
/// counts as that: a captured command sent again, verbatim or re-serialised (its signature covers
/// the canonical form), to this gateway or another, is refused as a replay, expired or for the
/// wrong gateway, and needs no key. A summary is journaled as a <c>command.rejected</c> with no id whose rejection is the
/// most serious code it counts (so an alarm stays an alarm), and names the codes with their counts
/// and, last, the operators the payloads claimed (up to <see cref="OperatorsNamed"/>, names the
/// gateway has a key for first, each cut to 64 characters). A name counts as having a key only for
/// a rejection decided after the key lookup found one (not <c>retained</c>, refused before it); of
/// the other names, 64 are tracked per window. Accepted commands
/// are never held back. Windows run on the monotonic clock, so a wall-clock step changes nothing.
/// </remarks>
/// <param name="time">Clock of the windows and the summary's timer.</param>
/// <param name="journal">Journals a notice or summary as a rejection with this code and text; completes when durable.</param>
public sealed class RejectionAudit(TimeProvider time, Func<CommandRejection, string, Task> journal)
{
    /// <summary>Rejections journaled one by one per window and kind; far above any real office's mistakes.</summary>
    public const int Allowance = 20;

    /// <summary>
    /// Rejections journaled one by one per <see cref="BudgetPeriod"/> and kind, over the windows: a
    /// flood just under <see cref="Allowance"/> (2 a second) would otherwise journal some 170,000
    /// rows a day per kind and push the site's history out of the journal within days.
    /// </summary>
    public const int Budget = 200;

    /// <summary>The period <see cref="Budget"/> is refilled over (a token bucket, refilled evenly).</summary>
    public static readonly TimeSpan BudgetPeriod = TimeSpan.FromHours(1);

    /// <summary>
    /// How long rejections counted for want of budget are summed up before their summary is
    /// journaled: a notice and a summary per kind per interval, not per window.
    /// </summary>
    public static readonly TimeSpan BudgetSummaryInterval = TimeSpan.FromMinutes(10);

    /// <summary>How many claimed operators a summary names.</summary>
    public const int OperatorsNamed = 5;

    /// <summary>The length of a window, from its first rejection.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Bucket _unparsed = new("unreadable");
    private readonly Bucket _claimed = new("claimed");
    private readonly Bucket _signed = new("role-refused");
    private Task _writing = Task.CompletedTask;

    /// <summary>Rejections counted and not yet journaled in a summary.</summary>
    public int Counted
    {
        get
        {
            lock (_gate)
            {
                return _unparsed.Total + _claimed.Total + _signed.Total;
            }
        }
    }

    /// <summary>Claimed operator names held for the summaries now (tests: the bound holds).</summary>
    internal int NamesTracked
    {
        get
        {
            lock (_gate)
            {
                return _unparsed.NamesTracked + _claimed.NamesTracked + _signed.NamesTracked;
            }
        }
    }

    /// <summary>Decides on one rejection: journaled on its own, or counted for its window's summary.</summary>
    /// <param name="rejection">Its code.</param>
    /// <param name="claimedOperator">The operator the payload names, when it parsed; null otherwise.</param>
    public RejectionAdmission Admit(CommandRejection rejection, string? claimedOperator)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            var bucket = rejection switch
            {
                <= CommandRejection.InvalidField => _unparsed,
                CommandRejection.RoleNotAllowed => _signed,
                _ => _claimed,
            };
            if (bucket.WindowStart is not { } start || time.GetElapsedTime(start, now) >= Window)
            {
                (bucket.WindowStart, bucket.Journaled) = (now, 0);
            }

            // A token only for a record journaled one by one: the budget bounds those records, so
            // a burst counted past the window's allowance must not use up the hour's budget too.
            if (bucket.Journaled < Allowance && bucket.TakeToken(time, now))
            {
                bucket.Journaled++;
                return new RejectionAdmission(true, null);
            }

            // Within the window's allowance but not the budget: a slow flood.
            var overBudget = bucket.Journaled < Allowance;
            var first = bucket.Total == 0;
            bucket.Count(rejection, claimedOperator, time.GetUtcNow(), overBudget);
            if (!first)
            {
                return new RejectionAdmission(false, null);
            }

            // The summary goes once this window is over, whether or not the flood goes on; for a
            // slow flood after a longer interval, so that its notices and summaries stay a few
            // records an hour.
            var due = overBudget ? BudgetSummaryInterval : Window - time.GetElapsedTime(bucket.WindowStart.Value, now);
            bucket.Timer = time.CreateTimer(_ => _ = FlushAsync(), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            return new RejectionAdmission(false, overBudget
                ? string.Create(CultureInfo.InvariantCulture,
                    $"more than {Budget} {bucket.Kind} rejected commands within {BudgetPeriod.TotalMinutes:0} min (a slow flood on the command topic): "
                    + $"from {time.GetUtcNow():O} further ones beyond that budget are answered and counted, and summed up within {BudgetSummaryInterval.TotalMinutes:0} min")
                : string.Create(CultureInfo.InvariantCulture,
                    $"more than {Allowance} {bucket.Kind} rejected commands within {Window.TotalSeconds:0} s (a flood on the command topic): "
                    + $"from {time.GetUtcNow():O} further ones are answered and counted, and summed up when the window ends"));
        }
    }

    /// <summary>
    /// Journals the summaries of what was counted, if anything (at a window's end, and at a stop);
    /// completes when they, and any summary already being written, are durable.
    /// </summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            var summaries = new[] { _unparsed.TakeSummary(time.GetUtcNow()), _claimed.TakeSummary(time.GetUtcNow()), _signed.TakeSummary(time.GetUtcNow()) }
                .Where(s => s is not null).Select(s => s!.Value).ToList();
            if (summaries.Count > 0)
            {
                var before = _writing;
                _writing = WriteAsync(before, summaries);
            }

            return _writing;
        }
    }

    private async Task WriteAsync(Task before, List<(CommandRejection Code, string Text)> summaries)
    {
        await before.ConfigureAwait(false);
        foreach (var (code, text) in summaries)
        {
            await journal(code, text).ConfigureAwait(false);
        }
    }

    // One kind of rejection's window and counts; used under the audit's lock.
    private sealed class Bucket(string kind)
    {
        // Distinct names tracked beyond the known ones: a flood of made-up names stays bounded.
        private const int UnknownNamesTracked = 64;

        // The longest piece of a claimed name a summary shows: anyone's text.
        private const int NameShown = 64;

        private readonly SortedDictionary<CommandRejection, int> _codes = [];
        private readonly Dictionary<string, (int Count, bool Known)> _operators = new(StringComparer.Ordinal);

        // How many of _operators are not known: counted, not searched, at every made-up name.
        private int _unknownNames;
        private DateTimeOffset _firstCounted;

        // Whether any counted rejection was over the budget rather than the window's allowance.
        private bool _overBudget;

        // The long-term budget's tokens (full at the start) and when they were last refilled.
        private double _tokens = Budget;
        private long? _refilledAt;

        public string Kind => kind;

        public long? WindowStart { get; set; }

        public int Journaled { get; set; }

        public ITimer? Timer { get; set; }

        public int Total => _codes.Values.Sum();

        public int NamesTracked => _operators.Count;

        /// <summary>
        /// Refills the budget for the time since the last call, evenly over
        /// <see cref="BudgetPeriod"/> and never beyond <see cref="Budget"/>, then takes a token if
        /// there is one. Called only for a rejection the window's allowance would journal.
        /// </summary>
        public bool TakeToken(TimeProvider time, long now)
        {
            if (_refilledAt is { } last)
            {
                _tokens = Math.Min(Budget, _tokens + (Budget * (time.GetElapsedTime(last, now) / BudgetPeriod)));
            }

            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }

        public void Count(CommandRejection rejection, string? claimedOperator, DateTimeOffset now, bool overBudget)
        {
            if (_codes.Count == 0)
            {
                _firstCounted = now;
            }

            _overBudget |= overBudget;

            _codes[rejection] = _codes.GetValueOrDefault(rejection) + 1;
            if (claimedOperator is null)
            {
                return;
            }

            // A name the gateway has a key for is an attempt at a real operator: always tracked
            // (the configured operators bound them), and named first, so made-up names cannot push
            // it out of the summary. Only the codes decided after the key lookup found a key say so
            // (the enum is in the order the checks run): a `retained` payload is refused before
            // the lookup, so its name may be anyone's text, and counted as a made-up one would be.
            var known = rejection > CommandRejection.KeyUnavailable;
            if (_operators.TryGetValue(claimedOperator, out var seen))
            {
                _operators[claimedOperator] = (seen.Count + 1, seen.Known || known);
                if (known && !seen.Known)
                {
                    _unknownNames--;
                }
            }
            else if (known || _unknownNames < UnknownNamesTracked)
            {
                _operators[claimedOperator] = (1, known);
                _unknownNames += known ? 0 : 1;
            }
        }

        public (CommandRejection Code, string Text)? TakeSummary(DateTimeOffset now)
        {
            if (_codes.Count == 0)
            {
                return null;
            }

            var codes = string.Join(", ", _codes.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key.Code()} {c.Value}")));
            // Last in the text, so a cut of the reason never loses the counts and the time range.
            var named = _operators.OrderByDescending(o => o.Value.Known).ThenByDescending(o => o.Value.Count).ThenBy(o => o.Key, StringComparer.Ordinal)
                .Take(OperatorsNamed)
                .Select(o => string.Create(CultureInfo.InvariantCulture, $"'{(o.Key.Length > NameShown ? TextCut.Cut(o.Key, NameShown) + "…" : o.Key)}' {o.Value.Count}"))
                .ToList();
            var operators = named.Count == 0 ? "" : $"; claimed operators {string.Join(", ", named)}{(_operators.Count > OperatorsNamed ? " and more" : "")}";
            var budget = _overBudget ? string.Create(CultureInfo.InvariantCulture, $" or more than {Budget} within {BudgetPeriod.TotalMinutes:0} min") : "";
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{Total} more {kind} rejected command(s) ({codes}) from {_firstCounted:O} to {now:O} were answered but not journaled "
                + $"one by one: more than {Allowance} within {Window.TotalSeconds:0} s{budget} (a flood on the command topic){operators}");
            // The most serious code it counts: alarms first (CommandRejected's severity), then the most frequent.
            var code = _codes.OrderByDescending(c => IsAlarm(c.Key)).ThenByDescending(c => c.Value).First().Key;
            _codes.Clear();
            _operators.Clear();
            _unknownNames = 0;
            _overBudget = false;
            Timer?.Dispose();
            Timer = null;
            return (code, text);
        }

        private static bool IsAlarm(CommandRejection rejection) =>
            new CommandRejected(default, "", null, null, rejection, "").Severity == Core.Lockdown.Severity.Alarm;
    }
}
