using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Hardware.Board;

// Confirming a loop's state before it is accepted. An MCP3008 reading travels over SPI wires that run
// past relays and sirens; a bit error or a chip-select glitch corrupts one sample, and a loop polled
// without confirmation turned that into a state: one corrupt sample of a fire loop latched the egress
// release until a person reset it. So a new state (a band, or unreadable) is accepted only after
// ConfirmingSamples consecutive polls gave it, and the boot read samples back to back until they agree.
// Not a resample back to back within one poll: two samples microseconds apart both see one electrical
// transient (a lock solenoid switching on a cable run alongside the loop, exactly when a lockdown drives
// the locks), so a millisecond spike would latch a fire release or start a lockdown. Polls a poll
// interval apart are independent; the press margin comes from polling often enough instead. The point's
// level is confirmed apart from the state (LevelConfirmed): a press near a band edge reads alarm, open,
// alarm, with no state twice in a row, yet active throughout.
public sealed partial class EolLoopLines
{
    /// <summary>
    /// Consecutive polls that must agree before a loop's new state is accepted. Two: a corrupt transfer
    /// (a bit error on the SPI wires, a chip select glitch) or a transient on the loop is one sample,
    /// independent of the next one a poll interval later, so a second agreeing poll rejects it; each poll
    /// more would add a whole poll interval (25 ms by default) to a fire release and lengthen the press a
    /// panic button needs.
    /// </summary>
    public const int ConfirmingSamples = 2;

    /// <summary>
    /// The shortest press of a panic button (or pulse of a fire input) the gateway must see: a quick
    /// deliberate stab at a momentary button. <see cref="ConfirmingSamples"/> polls must run while it lasts.
    /// </summary>
    public static readonly TimeSpan ShortestPress = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls due within every <see cref="ShortestPress"/> of a panic or fire loop, at any phase: one more
    /// than <see cref="ConfirmingSamples"/>, so two agreeing polls fall inside every press even when one
    /// poll is late or skipped (the one before it still delivering inline: decide, journal, publish). With
    /// exactly <see cref="ConfirmingSamples"/> a single lost poll lost the alarm.
    /// </summary>
    public const int PollsPerShortestPress = ConfirmingSamples + 1;

    /// <summary>
    /// The longest poll interval of an ADC that reads a panic button or fire input (33 ms): configuration
    /// refuses a longer one, which leaves a <see cref="ShortestPress"/> fewer than
    /// <see cref="PollsPerShortestPress"/> polls, so one skipped or late poll could lose it.
    /// </summary>
    public static readonly TimeSpan MaxLifeSafetyPollInterval =
        TimeSpan.FromMilliseconds(Math.Floor(ShortestPress.TotalMilliseconds / PollsPerShortestPress));

    /// <summary>
    /// Samples the boot read takes at most, looking for <see cref="ConfirmingSamples"/> in a row that
    /// agree (a failed transfer is a sample too: unreadable).
    /// </summary>
    private const int MaxBootSamples = ConfirmingSamples * 4;

    /// <inheritdoc/>
    /// <remarks>
    /// Samples the loop back to back as the boot read does, and records nothing: no accepted state, no
    /// level delivered, no fault (the settled read that follows is the boot read, and raises a dead
    /// ADC's fault). A tampered loop (open, short) gives its fail-safe level, as it reads afterwards; an
    /// ADC that fails <see cref="ConfirmingSamples"/> transfers in a row, or readings that do not agree,
    /// give null. One failed transfer is passed over, as at the boot read. The ADC needs no
    /// configuration, so unlike an expander it can be read before the outputs are opened.
    /// </remarks>
    public bool? ReadBeforeOutputs(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slot = _loops.TryGetValue(pointId, out var s) ? s : throw new KeyNotFoundException($"Point '{pointId}' is not on {_device}.");
        lock (_polling)
        {
            return SampleAgreeing(slot.Loop).State is { } agreed ? LevelOf(slot.Loop, agreed) : null;
        }
    }

    /// <summary>
    /// Samples the loop until <see cref="ConfirmingSamples"/> samples in a row agree, a failed transfer
    /// counting as one more sample (unreadable), as it does to the polls. Null (and why) when the ADC
    /// failed <see cref="ConfirmingSamples"/> transfers in a row, or no state settled within
    /// <see cref="MaxBootSamples"/>: the loop then reads fail-safe.
    /// </summary>
    /// <remarks>
    /// A failed transfer (a bit error that sets the MCP3008's null bit, a chip-select glitch) is one bad
    /// sample, independent of the next. Taken as a blind ADC at once, one glitch at the boot read made a
    /// fire loop latch the egress release (a person must reset it) and a panic loop start a lockdown,
    /// where the polls need <see cref="ConfirmingSamples"/> failures in a row to go fail-safe.
    /// </remarks>
    private (LoopState? State, string? Failure) SampleAgreeing(SupervisedLoop loop)
    {
        LoopState? previous = null;
        string? failure = null;
        var agreeing = 0;
        for (var i = 0; i < MaxBootSamples; i++)
        {
            LoopState? state;
            try
            {
                state = loop.Classifier.Classify(_read(loop.Channel));
            }
            catch (HardwareException ex)
            {
                (state, failure) = (null, ex.Message);
            }

            agreeing = i > 0 && state == previous ? agreeing + 1 : 1;
            previous = state;
            if (agreeing == ConfirmingSamples)
            {
                // Unreadable agreed too: the ADC keeps failing, so the loop reads fail-safe.
                return state is null ? (null, failure) : (state, null);
            }
        }

        var why = $"the readings of point '{loop.Point.Id}' did not settle: no {ConfirmingSamples} of {MaxBootSamples} in a row agreed";
        return (null, failure is null ? why : $"{why} (last failed transfer: {failure})");
    }

    /// <summary>
    /// Polls that may disagree with the accepted state, without <see cref="ConfirmingSamples"/> of
    /// them agreeing and without <see cref="ConfirmingSamples"/> in a row back at the accepted state,
    /// before the loop is taken as unreadable (its fail-safe level and a fault). Without it, readings
    /// that keep changing never confirm anything: a fire loop whose samples alternate between alarm
    /// and short (mains hum on a loop near a band's edge), both of which read active, stayed normal
    /// for good, and an ADC failing every other read raised no fault. Four polls: 100 ms at the
    /// default 25 ms, against the one corrupt sample in a row that confirmation is for. Two polls in a
    /// row that deliver a new level in different states (<see cref="LevelConfirmed"/>) settle the
    /// readings too: a short press near a band edge is no unsettled loop.
    /// </summary>
    public const int MaxUnsettledPolls = 4;

    /// <summary>One reading of the loop, classified; null (and why in <see cref="LoopSlot.Failure"/>) when it failed.</summary>
    private LoopState? Sample(LoopSlot slot, out int reading)
    {
        reading = 0;
        try
        {
            reading = _read(slot.Loop.Channel);
            var sample = slot.Loop.Classifier.Classify(reading);
            slot.Last = new LoopReading(reading, sample);
            return sample;
        }
#pragma warning disable CA1031 // A dead ADC is a fault to report, never a reason to stop polling the others.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            slot.Failure = ex.Message;
            return null;
        }
    }

    /// <summary>Normal or alarm: a legal reading, whose change is a press or a release.</summary>
    private static bool IsBand(LoopState? state) => state is LoopState.Normal or LoopState.Alarm;

    /// <summary>
    /// The loop's accepted state after <paramref name="sample"/> (null: unreadable): false while it is
    /// unchanged because the sample is not confirmed yet. A sample is accepted once
    /// <see cref="ConfirmingSamples"/> polls in a row have given it; readings that have not settled
    /// after <see cref="MaxUnsettledPolls"/> disagreeing polls are accepted as unreadable, with why
    /// in <see cref="LoopSlot.Failure"/>.
    /// </summary>
    private static bool Confirmed(LoopSlot slot, LoopState? sample, out LoopState? accepted)
    {
        accepted = slot.Accepted;
        // Not while the level delivered is ahead of the accepted state (LevelConfirmed): one sample back at
        // it would deliver its level, a press released by a single corrupt sample.
        if (slot.HasAccepted && slot.Accepted == sample && !slot.LevelAhead)
        {
            slot.Agreeing = 0;
            // Back at the accepted state for a whole confirmation: earlier disagreements were glitches.
            if (++slot.BackAtAccepted >= ConfirmingSamples)
            {
                slot.Unsettled = 0;
            }

            return true;
        }

        slot.BackAtAccepted = 0;
        slot.Agreeing = slot.Agreeing > 0 && slot.Candidate == sample ? slot.Agreeing + 1 : 1;
        slot.Candidate = sample;
        if (slot.Agreeing >= ConfirmingSamples)
        {
            (slot.Accepted, slot.HasAccepted, slot.Agreeing, slot.Unsettled, slot.LevelAhead) = (sample, true, 0, 0, false);
            accepted = sample;
            return true;
        }

        if (++slot.Unsettled < MaxUnsettledPolls)
        {
            return false;
        }

        (slot.Accepted, slot.HasAccepted, slot.Agreeing, slot.Unsettled, slot.LevelAhead) = (null, true, 0, 0, false);
        slot.Failure = $"the readings of point '{slot.Loop.Point.Id}' do not settle: {MaxUnsettledPolls} polls changed without {ConfirmingSamples} in a row alike";
        accepted = null;
        return true;
    }

    /// <summary>
    /// The level to deliver when this poll's <paramref name="sample"/> and the last one's
    /// (<paramref name="previous"/>) are different states that read the same level, one the point does not
    /// hold yet; null otherwise. The state stays unconfirmed (<see cref="Confirmed"/> still decides it, and so
    /// the tamper events): only the level is, by two polls in a row, as a state would be.
    /// </summary>
    /// <remarks>
    /// <para>A loop near a band edge reads one press in two bands: a panic loop near alarmMax reads alarm,
    /// open, alarm through a 100 ms press at 33 ms. No state repeats, so the press was lost, though alarm and
    /// cut both read active for a panic or fire point and the level was never in doubt. Two states of one
    /// level always include a tamper (normal and alarm differ), so the level delivered is the fail-safe one,
    /// the one the point reads once the tamper is confirmed anyway.</para>
    /// <para>Not for a keyswitch or request-to-exit: their fail-safe level is inactive, so this could only
    /// release them, and the first turn read after a release taken partly from a cut reading would have to
    /// be judged a fresh turn or one held through the cut (ApplyAccepted): their state decides, as before.
    /// A failed transfer reads no level: a dead ADC is confirmed as unreadable, state by state.</para>
    /// </remarks>
    private static bool? LevelConfirmed(LoopSlot slot, LoopState? previous, LoopState? sample)
    {
        if (previous is not { } before || sample is not { } now || before == now
            || TamperedLoop.QuietWhenTrustedAgain(slot.Loop.Point.Kind))
        {
            return null;
        }

        var level = LevelOf(slot.Loop, now);
        if (LevelOf(slot.Loop, before) != level || level == slot.ReportedHigh)
        {
            return null;
        }

        // The level settled: the polls changing state before it are no unsettled loop. Not reset for a
        // level already delivered, or readings alternating between two bands of it (mains hum on a loop
        // near an edge) would never be reported as unsettled.
        (slot.LevelAhead, slot.Unsettled) = (true, 0);
        return level;
    }

    private sealed class LoopSlot(SupervisedLoop loop)
    {
        public SupervisedLoop Loop { get; } = loop;

        /// <summary>
        /// The level last delivered; null before the first poll, or when a boot read found the level the receiver
        /// holds unknown, so the next accepted state delivers its level (a keyswitch or exit button marked
        /// <see cref="FailSafe"/> that reads active is recorded instead).
        /// </summary>
        public bool? ReportedHigh { get; set; }

        public LoopTamper? Tamper { get; set; }

        /// <summary>
        /// The level last delivered (or returned by a blind boot read) is the fail-safe one, not a reading; a boot
        /// read that finds the level held unknown keeps the mark the polls left.
        /// </summary>
        public bool FailSafe { get; set; }

        /// <summary>
        /// <see cref="ReportedHigh"/> was put back because its edge did not fit the full queue; until the next
        /// comparison with a reading, an edge found is that change again, already counted lost. Under _gate.
        /// </summary>
        public bool PutBack { get; set; }

        /// <summary>
        /// Whether <see cref="Accepted"/> holds the loop's state: false until a boot read or
        /// <see cref="ConfirmingSamples"/> polls agreed on one.
        /// </summary>
        public bool HasAccepted { get; set; }

        /// <summary>The state the loop is taken to be in; null: unreadable (the ADC did not answer).</summary>
        public LoopState? Accepted { get; set; }

        /// <summary>A state different from <see cref="Accepted"/>, seen by the last <see cref="Agreeing"/> polls in a row.</summary>
        public LoopState? Candidate { get; set; }

        public int Agreeing { get; set; }

        /// <summary>Polls that disagreed with <see cref="Accepted"/> since the readings were last settled.</summary>
        public int Unsettled { get; set; }

        /// <summary>Polls in a row that gave <see cref="Accepted"/>.</summary>
        public int BackAtAccepted { get; set; }

        /// <summary>
        /// The level last delivered was confirmed by two polls reading it in different states
        /// (<see cref="LevelConfirmed"/>), not by <see cref="Accepted"/>: a sample of the accepted state is then a
        /// change, to be confirmed, until a state is accepted.
        /// </summary>
        public bool LevelAhead { get; set; }

        /// <summary>The last poll's sample (null: it failed, or none since the boot read), for <see cref="LevelConfirmed"/>.</summary>
        public LoopState? Previous { get; set; }

        /// <summary>Why the last read of this loop failed (or, at boot, why its readings were not trusted).</summary>
        public string? Failure { get; set; }

        /// <summary>Written by the poll, read from any thread: a reference, replaced whole.</summary>
        public LoopReading? Last
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        }
    }
}
