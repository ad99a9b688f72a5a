using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp3008;

namespace EdgeGuard.Configuration;

// What a cut cable reads on a plain (unsupervised) input line. The line's pull resistor sets the
// level a cut leaves, and activeLevel says what that level means; the kind says which it must be.
// A supervised loop (an ADC channel with end-of-line resistors) tells a cut apart by itself and is
// checked by its wiring instead (GatewayConfigReader.Expanders.cs).
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        /// <summary>
        /// Checks that a cut cable reads as the kind requires. With <c>pull</c> <c>none</c> the level
        /// comes from a resistor outside the gateway (on a HAT, in the field), which the config must
        /// then state as <c>externalPull</c>: a floating line, or one pulled the wrong way, would
        /// otherwise pass unchecked.
        /// </summary>
        private void CutCable(ConfigNode item, string? subject, PointKind? kind, bool? activeHigh, LinePull? pull)
        {
            var externalNode = item.Child("externalPull");
            if (Mcp3008ChannelAddress.IsAdcName(AddressOf(item.Child("line").Section.Value?.Trim())))
            {
                if (externalNode.IsPresent)
                {
                    _w.Error(externalNode, subject,
                        "externalPull does not apply to a supervised loop: its pull-up resistor is on the I/O board, in front of the ADC channel; remove it");
                }

                return;
            }

            var errors = _w.ErrorCount;
            var external = _w.Enum(externalNode, subject, required: false, ExternalPulls);
            var pullPath = item.Child("pull").Path;
            if (_w.ErrorCount > errors || pull is null || _w.Errors.Any(e => e.Path == pullPath))
            {
                return; // a bad value, reported; or a bad pull (or one the pin lacks), reported at pull
            }

            if (external is not null && pull != LinePull.None)
            {
                _w.Error(externalNode, subject,
                    $"externalPull describes a resistor outside the gateway and applies only with pull 'none', but pull is '{Name(Pulls, pull.Value)}'; "
                    + "remove externalPull, or set pull 'none' if the line's level comes from that resistor");
                return;
            }

            if (kind is not { } k)
            {
                return; // what a cut must read depends on the kind, which is reported
            }

            if (pull == LinePull.None && external is null)
            {
                var (must, _) = CutMustRead(k);
                _w.Error(externalNode, subject,
                    $"with pull 'none' the level a cut cable leaves comes from a resistor outside the gateway, which validate cannot see, "
                    + $"and a {Name(PointKinds, k)} must {must} when its cable is cut; state that resistor with externalPull 'up' or 'down' "
                    + "(or use the line's own pull-up: pull 'up')");
                return;
            }

            var resistor = external ?? pull.Value;
            if (activeHigh is { } high && CutReadsWrong(k, high, resistor, external is not null) is { } cut)
            {
                _w.Error(item.Child("activeLevel"), subject, cut);
            }
        }

        /// <summary>What a cut must read for <paramref name="kind"/>, and what cutting it would do otherwise.</summary>
        private static (string Must, string Otherwise) CutMustRead(PointKind kind) => kind switch
        {
            // Detectors fail towards alarm: cutting them must raise what they watch for, or the
            // cut is the attack (a door forced unseen, a fence crossed, an enclosure opened).
            PointKind.PanicButton => ("read pressed", "cutting it silences the hold-up alarm"),
            PointKind.FireAlarm => ("read active", "cutting it keeps the egress doors locked in a fire"),
            PointKind.DoorContact => ("read open", "cutting it lets the door be opened or forced unseen"),
            PointKind.Perimeter => ("read a breach", "cutting it blinds the perimeter"),
            PointKind.Tamper => ("read tampered", "cutting it hides the enclosure being opened"),
            PointKind.PowerTrouble => ("read trouble", "cutting it hides a power supply running down its battery"),
            // Operators fail towards rest: cutting them must not operate them.
            PointKind.Keyswitch => ("read released", "cutting it turns the key (clearing a lockdown or resetting a fire release)"),
            PointKind.RequestToExit => ("read released", "cutting it unlocks its door"),
            // A monitor fails towards "not holding": a cut must never make a lock that does not hold look held.
            PointKind.LockMonitor => ("read not engaged", "cutting it makes a lock that does not hold the door look locked"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        /// <summary>
        /// The error when a cut reads the wrong way for <paramref name="kind"/> under
        /// <paramref name="pull"/> (the line's own, or the <paramref name="external"/> one), or null.
        /// </summary>
        private static string? CutReadsWrong(PointKind kind, bool activeHigh, LinePull pull, bool external)
        {
            var cutReadsActive = activeHigh == (pull == LinePull.Up);
            var mustReadActive = TamperedLoop.ReadsActive(kind); // the level a tampered loop reads too
            if (cutReadsActive == mustReadActive)
            {
                return null;
            }

            var (must, otherwise) = CutMustRead(kind);
            var (level, other) = activeHigh ? ("high", "low") : ("low", "high");
            var contact = cutReadsActive ? "normally-open" : "normally-closed";
            var key = external ? "externalPull" : "pull";
            return $"a {Name(PointKinds, kind)} must {must} when its cable is cut, or {otherwise}: "
                + $"with {key} '{(pull == LinePull.Up ? "up" : "down")}' and activeLevel '{level}' a cut reads {(cutReadsActive ? "active" : "inactive")}. "
                + $"Wire a {contact} contact and set activeLevel '{other}', or put the point on a double-EOL loop (an ADC channel)";
        }
    }
}
