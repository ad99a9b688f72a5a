using System.Globalization;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Input supervision: when a point counts as chattering and when as settled again. The per-point
// stuck time (points[].stuckAfterMinutes) is read with the point.
public static partial class GatewayConfigReader
{
    /// <summary>Transitions within the window that make a point chatter when <c>supervision.chatterTransitions</c> is not set.</summary>
    public const int DefaultChatterTransitions = 8;

    /// <summary>Chatter window when <c>supervision.chatterWindowSeconds</c> is not set.</summary>
    public const int DefaultChatterWindowSeconds = 10;

    /// <summary>Quiet time that ends chatter when <c>supervision.settleSeconds</c> is not set.</summary>
    public const int DefaultSettleSeconds = 30;

    /// <summary>How long a suppressed point's level must hold to go on anyway when <c>supervision.holdSeconds</c> is not set.</summary>
    public const int DefaultHoldSeconds = 3;

    /// <summary>Longest <c>stuckAfterMinutes</c> accepted: 90 days.</summary>
    public const int MaxStuckAfterMinutes = 90 * 24 * 60;

    private sealed partial class Run
    {
        /// <summary>The optional <c>supervision</c> section; absent means the defaults.</summary>
        private SupervisionPolicy? Supervision(ConfigNode node, IReadOnlyList<PointDefinition>? points)
        {
            if (node.IsPresent && !_w.Object(node, null, SupervisionKeys))
            {
                return null;
            }

            // Two transitions are one open-and-close: 1 or 2 would call every door use chatter. 0 is
            // off, for load tests that pulse one contact thousands of times on purpose.
            var transitionsNode = node.Child("chatterTransitions");
            var transitions = _w.Int(transitionsNode, null, required: false, 0, 1_000, DefaultChatterTransitions);
            if (transitions is 1 or 2)
            {
                _w.Error(transitionsNode, null,
                    $"chatterTransitions {transitions} would call every opening and closing of a door chatter; use 3..1000, or 0 to turn chatter detection off");
                transitions = null;
            }
            var window = _w.Int(node.Child("chatterWindowSeconds"), null, required: false, 1, 3_600, DefaultChatterWindowSeconds);
            var settle = _w.Int(node.Child("settleSeconds"), null, required: false, 1, 86_400, DefaultSettleSeconds);
            // Up to a minute: longer, a door forced open during chatter is reported too late.
            var holdNode = node.Child("holdSeconds");
            var hold = _w.Int(holdNode, null, required: false, 1, 60, DefaultHoldSeconds);
            if (hold is not null && transitions is > 0 && window is not null && !HoldAboveChatter(holdNode, hold.Value, transitions.Value, window.Value, points))
            {
                hold = null;
            }

            return transitions is not null && window is not null && settle is not null && hold is not null
                ? new SupervisionPolicy(transitions.Value, TimeSpan.FromSeconds(window.Value), TimeSpan.FromSeconds(settle.Value))
                {
                    HoldTime = TimeSpan.FromSeconds(hold.Value),
                }
                : null;
        }

        /// <summary>
        /// Whether a hold of <paramref name="hold"/> seconds withholds chatter; each reason it does
        /// not is reported. A level is handed on once it holds that long, so the hold must be above
        /// the slowest flapping still counted as chatter (the window over its changes' intervals)
        /// and above every suppressible point's debounce (each filtered level holds at least that
        /// long): otherwise a point chattering that slowly sends an alarm per flap while
        /// "suppressed", the storm supervision exists to prevent.
        /// </summary>
        private bool HoldAboveChatter(ConfigNode holdNode, int hold, int transitions, int window, IReadOnlyList<PointDefinition>? points)
        {
            var ok = true;
            var slowest = (double)window / (transitions - 1);
            if (hold <= slowest)
            {
                _w.Error(holdNode, null,
                    $"holdSeconds {hold} is not above chatterWindowSeconds {window} / (chatterTransitions {transitions} - 1) = "
                    + $"{slowest.ToString("0.##", CultureInfo.InvariantCulture)} s: a point flapping that slowly chatters, yet every level "
                    + "it holds would be handed on as if not suppressed; raise holdSeconds, or shorten the window or count more transitions");
                ok = false;
            }

            foreach (var point in points ?? [])
            {
                if (point.MayBeSuppressed && point.Debounce >= TimeSpan.FromSeconds(hold))
                {
                    _w.Error(holdNode, null,
                        $"holdSeconds {hold} is not above the debounceMs {point.Debounce.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} "
                        + $"of point '{point.Id}': every level it reports holds that long, so none would be withheld while it chatters; "
                        + "raise holdSeconds or shorten its debounce");
                    ok = false;
                }
            }

            return ok;
        }

        /// <summary>The optional per-point stuck time; false when it is given but wrong (already reported).</summary>
        private bool StuckAfter(ConfigNode node, string? subject, out TimeSpan? stuckAfter)
        {
            var errors = _w.ErrorCount;
            var minutes = _w.Int(node, subject, required: false, 1, MaxStuckAfterMinutes);
            stuckAfter = minutes is { } m ? TimeSpan.FromMinutes(m) : null;
            return _w.ErrorCount == errors;
        }
    }
}
