using CsCheck;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Hardware.Tests.Drivers;

public sealed class EolLoopClassifierTests
{
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, ShortMax: 341, NormalMax: 599, AlarmMax: 818);

    /// <summary>Bands from the bottom of the scale up, for double EOL.</summary>
    private static readonly LoopState[] Order =
        [LoopState.ShortCircuitTamper, LoopState.Normal, LoopState.Alarm, LoopState.OpenCircuitTamper];

    private static readonly Gen<EolThresholds> ValidDouble =
        Gen.Int[0, 1022].Array[3].Where(a => a.Distinct().Count() == 3)
            .Select(a => a.Order().ToArray())
            .Select(a => new EolThresholds(EolWiring.Double, a[0], a[1], a[2]));

    private static readonly Gen<EolThresholds> ValidSingle =
        Gen.Int[0, 1022].Array[2].Where(a => a[0] != a[1]).Select(a => a.Order().ToArray())
            .Select(Gen.Bool.Select(b => b ? EolWiring.SingleSeries : EolWiring.SingleParallel), (a, w) => new EolThresholds(w, a[0], a[1]));

    [Theory]
    [InlineData(0, LoopState.ShortCircuitTamper)]
    [InlineData(341, LoopState.ShortCircuitTamper)]
    [InlineData(342, LoopState.Normal)]
    [InlineData(599, LoopState.Normal)]
    [InlineData(600, LoopState.Alarm)]
    [InlineData(818, LoopState.Alarm)]
    [InlineData(819, LoopState.OpenCircuitTamper)]
    [InlineData(1023, LoopState.OpenCircuitTamper)]
    public void Double_EOL_band_edges_are_inclusive_upper_bounds(int reading, LoopState expected) =>
        Assert.Equal(expected, new EolLoopClassifier(DoubleEol).Classify(reading));

    [Theory]
    [InlineData(EolWiring.SingleSeries, 100, LoopState.ShortCircuitTamper)]
    [InlineData(EolWiring.SingleSeries, 500, LoopState.Normal)]
    [InlineData(EolWiring.SingleSeries, 1000, LoopState.Alarm)]
    [InlineData(EolWiring.SingleParallel, 100, LoopState.Alarm)]
    [InlineData(EolWiring.SingleParallel, 500, LoopState.Normal)]
    [InlineData(EolWiring.SingleParallel, 1000, LoopState.OpenCircuitTamper)]
    public void Single_EOL_maps_the_band_the_contact_cannot_be_told_from_to_alarm(EolWiring wiring, int reading, LoopState expected) =>
        Assert.Equal(expected, new EolLoopClassifier(new EolThresholds(wiring, 340, 767)).Classify(reading));

    [Fact]
    public void Double_EOL_bands_follow_each_other_upwards_and_each_edge_is_the_last_reading_of_its_band() =>
        ValidDouble.Sample(t =>
        {
            var c = new EolLoopClassifier(t);
            var ranks = Enumerable.Range(0, 1024).Select(r => Array.IndexOf(Order, c.Classify(r))).ToArray();
            var monotone = ranks.Zip(ranks.Skip(1)).All(p => p.First <= p.Second);
            var edges = new[] { t.ShortMax, t.NormalMax, t.AlarmMax!.Value }
                .Select((edge, i) => ranks[edge] == i && ranks[edge + 1] == i + 1)
                .All(ok => ok);
            return monotone && edges && ranks[0] == 0 && ranks[1023] == 3;
        });

    [Fact]
    public void Every_reading_of_a_valid_loop_gets_exactly_the_band_its_thresholds_place_it_in() =>
        ValidDouble.Select(Gen.Int[0, 1023]).Sample((t, r) =>
        {
            var bandsAbove = new[] { t.ShortMax, t.NormalMax, t.AlarmMax!.Value }.Count(edge => r > edge);
            return new EolLoopClassifier(t).Classify(r) == Order[bandsAbove];
        });

    [Fact]
    public void Single_EOL_never_reports_the_tamper_its_contact_hides() =>
        ValidSingle.Select(Gen.Int[0, 1023]).Sample((t, r) =>
        {
            var state = new EolLoopClassifier(t).Classify(r);
            return t.Wiring == EolWiring.SingleSeries
                ? state != LoopState.OpenCircuitTamper
                : state != LoopState.ShortCircuitTamper;
        });

    [Fact]
    public void Validate_accepts_exactly_the_strictly_ascending_thresholds_within_0_to_1022() =>
        Gen.Int[-50, 1100].Array[3].Sample(a =>
        {
            var valid = a[0] >= 0 && a[0] < a[1] && a[1] < a[2] && a[2] <= 1022;
            return (new EolThresholds(EolWiring.Double, a[0], a[1], a[2]).Validate().Count == 0) == valid;
        });

    [Fact]
    public void Every_problem_is_listed_naming_the_value()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EolLoopClassifier(new EolThresholds(EolWiring.Double, 600, 400, 1023)));

        Assert.Equal(
            "Invalid EOL thresholds: normalMax (400) must be greater than shortMax (600): the normal band would be empty; "
            + "alarmMax (1023) must be within 0..1022.",
            ex.Message);
    }

    [Theory]
    [InlineData(EolWiring.Double, null, "alarmMax is required for double-EOL wiring")]
    [InlineData(EolWiring.SingleSeries, 900, "alarmMax (900) applies only to double-EOL wiring")]
    public void AlarmMax_belongs_to_double_EOL_only(EolWiring wiring, int? alarmMax, string expected)
    {
        var problems = new EolThresholds(wiring, 300, 600, alarmMax).Validate();

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Negative_short_max_and_equal_edges_are_reported()
    {
        var problems = new EolThresholds(EolWiring.Double, -1, 500, 500).Validate();

        Assert.Equal(
            ["shortMax (-1) must be within 0..1022", "alarmMax (500) must be greater than normalMax (500): the alarm band would be empty"],
            problems);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void Readings_outside_the_ADC_range_are_refused(int reading) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EolLoopClassifier(DoubleEol).Classify(reading));

    [Fact]
    public void Suggested_thresholds_for_4k7_everywhere_match_the_README_table()
    {
        Assert.Equal(DoubleEol, EolThresholds.Suggest(EolWiring.Double, 4700, 4700, 4700));
        Assert.Equal(new EolThresholds(EolWiring.SingleSeries, 341, 682), EolThresholds.Suggest(EolWiring.SingleSeries, 4700, 4700));
    }

    [Fact]
    public void Suggested_thresholds_classify_every_state_of_a_loop_built_from_5_percent_resistors() =>
        Gen.Double[1_000, 10_000].Select(Gen.Double[0.5, 2], Gen.Double[0.5, 2], Gen.Double[-0.05, 0.05].Array[2])
            .Sample((eol, alarmRatio, pullRatio, drift) =>
            {
                var alarm = eol * alarmRatio;
                var pull = eol * pullRatio;
                var c = new EolLoopClassifier(EolThresholds.Suggest(EolWiring.Double, pull, eol, alarm));
                int Reading(double ohms) => double.IsPositiveInfinity(ohms) ? 1023 : (int)Math.Round(1023 * ohms / (ohms + pull));
                var rest = eol * (1 + drift[0]);
                var tripped = rest + (alarm * (1 + drift[1]));
                return c.Classify(Reading(0)) == LoopState.ShortCircuitTamper
                    && c.Classify(Reading(rest)) == LoopState.Normal
                    && c.Classify(Reading(tripped)) == LoopState.Alarm
                    && c.Classify(Reading(double.PositiveInfinity)) == LoopState.OpenCircuitTamper;
            });

    [Fact]
    public void Suggest_refuses_a_pull_up_that_cannot_separate_the_states()
    {
        var ex = Assert.Throws<ArgumentException>(() => EolThresholds.Suggest(EolWiring.Double, 10_000_000, 1000, 1000));

        Assert.Contains("pull-up cannot separate the states", ex.Message, StringComparison.Ordinal);
    }
}
