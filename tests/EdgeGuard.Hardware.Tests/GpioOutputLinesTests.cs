using System.Device.Gpio;
using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Hardware.Tests;

public sealed class GpioOutputLinesTests : IDisposable
{
    private static readonly OutputDefinition Lock =
        new("lock-lobby", OutputKind.Lock, 20, ActiveHigh: true, "lobby", LockFailMode.FailSafe, Egress: true, NormallyLocked: true);

    private static readonly OutputDefinition Siren = new("siren-lobby", OutputKind.Siren, 21, ActiveHigh: true, "lobby");

    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _controller;

    public GpioOutputLinesTests() => _controller = new GpioController(_driver);

    public void Dispose() => _controller.Dispose();

    [Fact]
    public void Outputs_start_at_their_initial_level_with_no_write_and_no_glitch()
    {
        using var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false));

        Assert.Equal(PinMode.Output, _driver.ModeOf(20));
        Assert.Equal([true], _driver.DrivenLevels(20));
        Assert.Equal([false], _driver.DrivenLevels(21));
        Assert.Empty(_driver.Writes);
        Assert.True(outputs.ReadBack("lock-lobby"));
        Assert.False(outputs.ReadBack("siren-lobby"));
    }

    [Fact]
    public void Write_changes_the_line()
    {
        using var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false));

        outputs.Write("siren-lobby", high: true);

        Assert.True(_driver.GetOutputLevel(21));
        Assert.True(outputs.ReadBack("siren-lobby"));
        Assert.Equal([(21, true)], _driver.Writes);
    }

    [Fact]
    public void Writing_the_level_already_driven_does_not_reach_the_driver()
    {
        using var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false));

        outputs.Write("lock-lobby", high: true);
        outputs.Write("siren-lobby", high: true);
        outputs.Write("siren-lobby", high: true);

        Assert.Equal(0, _driver.WriteCount(20));
        Assert.Equal(1, _driver.WriteCount(21));
    }

    [Fact]
    public void Any_sequence_of_writes_reaches_the_driver_once_per_change()
    {
        Gen.Bool.Array[0, 40].Sample(levels =>
        {
            using var driver = new SimulatedGpioDriver(4);
            using var controller = new GpioController(driver);
            using var outputs = new GpioOutputLines(controller, [Siren with { Line = 2 }], Levels(lockHigh: null, sirenHigh: false));
            foreach (var level in levels)
            {
                outputs.Write("siren-lobby", level);
            }

            // The line's waveform is the initial level followed by every change; nothing else may reach the driver.
            var waveform = Collapse([false, .. levels]);
            return driver.DrivenLevels(2).SequenceEqual(waveform)
                && driver.WriteCount(2) == waveform.Count - 1
                && driver.GetOutputLevel(2) == waveform[^1]
                && outputs.ReadBack("siren-lobby") == waveform[^1];
        });
    }

    [Fact]
    public void Dispose_closes_the_lines_and_keeps_their_levels()
    {
        var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false));
        outputs.Write("siren-lobby", high: true);

        outputs.Dispose();

        Assert.False(_driver.IsOpen(20) || _driver.IsOpen(21));
        Assert.True(_driver.GetOutputLevel(20));
        Assert.True(_driver.GetOutputLevel(21));
        Assert.Throws<ObjectDisposedException>(() => outputs.Write("siren-lobby", false));
    }

    [Fact]
    public void An_unknown_output_is_named_in_the_error()
    {
        using var outputs = new GpioOutputLines(_controller, [Lock], Levels(lockHigh: true, sirenHigh: null));

        var error = Assert.Throws<KeyNotFoundException>(() => outputs.Write("lock-vault", true));

        Assert.Contains("lock-vault", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_without_an_initial_level_is_refused_before_any_line_opens()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: null)));

        Assert.Contains("siren-lobby", error.Message, StringComparison.Ordinal);
        Assert.False(_driver.IsOpen(20));
    }

    [Fact]
    public void A_line_already_used_by_an_input_is_refused_and_nothing_stays_open()
    {
        _controller.OpenPin(21, PinMode.InputPullUp);

        var error = Assert.Throws<HardwareException>(() =>
            new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false)));

        Assert.Contains("Line 21", error.Message, StringComparison.Ordinal);
        Assert.False(_driver.IsOpen(20));
        Assert.Equal(PinMode.InputPullUp, _driver.ModeOf(21));
    }

    [Theory]
    [InlineData(false)] // libgpiod v2: the request is refused when the line is opened
    [InlineData(true)] // libgpiod v1: only when its mode is set, after GpioController counted it open
    public void A_line_another_process_holds_is_left_unopened_and_the_others_open(bool refusedAtMode)
    {
        _driver.HoldElsewhere(21, "gpioset", refusedAtMode);
        var reported = new List<DomainEvent>();

        using var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false), report: reported.AddRange);

        Assert.Equal([true], _driver.DrivenLevels(20));
        var fault = Assert.IsType<HardwareFault>(Assert.Single(reported));
        Assert.Equal("gpio21", fault.Device);
        Assert.Contains("siren-lobby", fault.Reason, StringComparison.Ordinal);
        Assert.False(_controller.IsPinOpen(21), "a line half opened must be closed again, so the next try can open it");
        var error = Assert.Throws<HardwareException>(() => outputs.Write("siren-lobby", false));
        Assert.Contains("Line 21", error.Message, StringComparison.Ordinal);
        Assert.Contains("siren-lobby", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_refused_at_start_is_opened_by_a_write_once_free_at_the_level_written()
    {
        _driver.HoldElsewhere(21, "gpioset");
        var reported = new List<DomainEvent>();
        using var outputs = new GpioOutputLines(_controller, [Lock, Siren], Levels(lockHigh: true, sirenHigh: false), report: reported.AddRange);
        Assert.Throws<HardwareException>(() => outputs.Write("siren-lobby", true));
        Assert.Single(reported); // the fault at start, not one per write

        _driver.ReleaseElsewhere(21);
        outputs.Write("siren-lobby", true);

        Assert.Equal("gpio21", Assert.IsType<HardwareFaultRestored>(reported[^1]).Device);
        Assert.Equal(2, reported.Count);

        Assert.Equal(PinMode.Output, _driver.ModeOf(21));
        Assert.Equal([true], _driver.DrivenLevels(21));
        Assert.True(outputs.ReadBack("siren-lobby"));
        outputs.Write("siren-lobby", false);
        Assert.Equal([true, false], _driver.DrivenLevels(21));
    }

    private static Dictionary<string, bool> Levels(bool? lockHigh, bool? sirenHigh)
    {
        var levels = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (lockHigh is { } l)
        {
            levels["lock-lobby"] = l;
        }

        if (sirenHigh is { } s)
        {
            levels["siren-lobby"] = s;
        }

        return levels;
    }

    private static List<bool> Collapse(IEnumerable<bool> levels)
    {
        var collapsed = new List<bool>();
        foreach (var level in levels)
        {
            if (collapsed.Count == 0 || collapsed[^1] != level)
            {
                collapsed.Add(level);
            }
        }

        return collapsed;
    }
}
