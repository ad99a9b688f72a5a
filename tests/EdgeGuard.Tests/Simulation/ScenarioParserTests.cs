using EdgeGuard.Simulation;

namespace EdgeGuard.Tests.Simulation;

public sealed class ScenarioParserTests
{
    [Fact]
    public void Parses_every_kind_of_step_and_skips_comments()
    {
        var scenario = Scenario.Parse("""
            # drill
            press panic-lobby   # guard presses
            wait 250ms
            wait 1.5s
            expect mode lockdown
            expect output lock-lobby locked
            expect point door-lobby inactive
            """, "drill.scenario");

        Assert.Collection(scenario.Steps,
            s => Assert.Equal(new SendStep(2, "press panic-lobby"), s),
            s => Assert.Equal(new WaitStep(3, TimeSpan.FromMilliseconds(250)), s),
            s => Assert.Equal(new WaitStep(4, TimeSpan.FromSeconds(1.5)), s),
            s => Assert.Equal(new ExpectStep(5, "mode", null, null, "lockdown"), s),
            s => Assert.Equal(new ExpectStep(6, "output", "lock-lobby", true, null), s),
            s => Assert.Equal(new ExpectStep(7, "point", "door-lobby", false, null), s));
    }

    [Fact]
    public void Reports_every_bad_line_with_file_and_line_number()
    {
        var error = Assert.Throws<FormatException>(() => Scenario.Parse("press\nwait soon\nexpect output lock-lobby ajar\nexplode x", "bad.scenario"));

        Assert.Contains("bad.scenario:1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.scenario:2: bad duration 'soon'", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.scenario:3: bad expectation", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.scenario:4: unknown command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_mode_is_reported_at_parse_with_file_line_and_the_modes_there_are()
    {
        // It used to parse, wait the whole expect timeout, then report "saw mode Normal".
        var error = Assert.Throws<FormatException>(() => Scenario.Parse("press panic-lobby\nexpect mode lockdwon", "typo.scenario"));

        Assert.Contains("typo.scenario:2: unknown mode 'lockdwon': use normal, lockdown, evacuation or shelterInPlace", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("normal")]
    [InlineData("Lockdown")] // as `sim status` prints it
    [InlineData("evacuation")]
    [InlineData("ShelterInPlace")]
    [InlineData("shelterinplace")]
    public void Every_mode_sim_status_can_show_is_an_expectation(string mode)
    {
        var scenario = Scenario.Parse($"expect mode {mode}", "modes.scenario");

        Assert.Equal(new ExpectStep(1, "mode", null, null, mode), Assert.Single(scenario.Steps));
    }

    [Theory]
    [InlineData("1")]     // an enum's number is no mode name
    [InlineData("normal,lockdown")]
    public void Only_a_mode_name_is_a_mode(string mode)
    {
        var error = Assert.Throws<FormatException>(() => Scenario.Parse($"expect mode {mode}", "modes.scenario"));

        Assert.Contains($"modes.scenario:1: unknown mode '{mode}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_may_carry_its_own_expect_timeout()
    {
        var scenario = Scenario.Parse("expect-timeout 40s\nexpect mode normal", "slow.scenario");

        Assert.Equal(new ExpectTimeoutStep(1, TimeSpan.FromSeconds(40)), scenario.Steps[0]);
        var error = Assert.Throws<FormatException>(() => Scenario.Parse("expect-timeout soon", "slow.scenario"));
        Assert.Contains("slow.scenario:1: bad duration 'soon'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("999999999h")] // past TimeSpan.MaxValue
    [InlineData("1e400h")]     // infinity
    [InlineData("NaNs")]
    [InlineData("-Infinityms")]
    [InlineData("1200h")]      // 50 days: past what a timer can wait
    public void A_wait_too_long_or_not_a_number_is_a_bad_duration_not_a_crash(string duration)
    {
        var error = Assert.Throws<FormatException>(() => Scenario.Parse($"wait {duration}", "long.scenario"));

        Assert.Contains($"long.scenario:1: bad duration '{duration}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wait_up_to_what_a_timer_can_wait_is_accepted()
    {
        var scenario = Scenario.Parse("wait 1000h", "long.scenario");

        Assert.Equal(new WaitStep(1, TimeSpan.FromHours(1000)), Assert.Single(scenario.Steps));
    }

    [Theory]
    [InlineData("status", "status", null, false)]
    [InlineData("press panic-lobby", "press", "panic-lobby", true)]
    [InlineData("RELEASE panic-lobby", "release", "panic-lobby", false)]
    [InlineData("open door-lobby", "open", "door-lobby", true)]
    [InlineData("close door-lobby", "close", "door-lobby", false)]
    public void Simulator_commands_parse(string line, string verb, string? point, bool active)
    {
        Assert.True(SimulatorCommand.TryParse(line, out var command, out _));
        Assert.Equal(new SimulatorCommand(verb, point, active), command);
    }

    [Fact]
    public void Pulse_takes_a_bounded_count()
    {
        Assert.True(SimulatorCommand.TryParse("pulse door-lobby 500", out var command, out _));
        Assert.Equal(new SimulatorCommand("pulse", "door-lobby", true, 500), command);
        Assert.False(SimulatorCommand.TryParse("pulse door-lobby 0", out _, out var zero));
        Assert.Contains("bad pulse count '0'", zero, StringComparison.Ordinal);
        Assert.False(SimulatorCommand.TryParse("pulse door-lobby lots", out _, out _));
    }
}
