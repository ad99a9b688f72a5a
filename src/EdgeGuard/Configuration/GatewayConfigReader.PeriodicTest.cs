using System.Globalization;

namespace EdgeGuard.Configuration;

// mqtt.periodicTestSeconds: how often the gateway sends its periodic test (gateway.test, Contact
// ID 602) through the decider, the journal and the publisher (Core's PeriodicTest).
public static partial class GatewayConfigReader
{
    /// <summary>
    /// The periodic test's interval when <c>mqtt.periodicTestSeconds</c> is not set: five minutes.
    /// EN 50131's 100 s substitution detection is the link's (the broker's will covers it within
    /// 1.5 keep-alives); the test proves the whole pipeline, and the office's missed-test alarm
    /// after two intervals then comes within ten minutes of a stall, at 288 small events a day.
    /// </summary>
    public const int DefaultPeriodicTestSeconds = 300;

    /// <summary>The shortest interval: more often would only load the journal and the link.</summary>
    public const int MinPeriodicTestSeconds = 60;

    /// <summary>The longest interval, a day: the 24-hour test of the classic alarm panels.</summary>
    public const int MaxPeriodicTestSeconds = 86_400;

    private sealed partial class Run
    {
        // Read beside Mqtt(), which checks the section's keys: the interval goes to the site
        // (the decider sends the test), not to the publisher's options.
        private TimeSpan? PeriodicTestInterval(ConfigNode mqtt)
        {
            var node = mqtt.Child("periodicTestSeconds");
            var seconds = _w.Int(node, null, required: false, 0, MaxPeriodicTestSeconds, DefaultPeriodicTestSeconds);
            if (seconds is > 0 and < MinPeriodicTestSeconds)
            {
                _w.Error(node, null,
                    $"periodicTestSeconds {seconds.Value.ToString(CultureInfo.InvariantCulture)} is out of range; expected " +
                    $"{MinPeriodicTestSeconds}..{MaxPeriodicTestSeconds} (the office raises a missed test after two intervals), or 0 to send none");
                return null;
            }

            return seconds is { } s ? TimeSpan.FromSeconds(s) : null;
        }
    }
}
