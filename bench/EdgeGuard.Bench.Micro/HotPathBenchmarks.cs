using System.Device.Gpio;
using BenchmarkDotNet.Attributes;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// Point change → output written, as the controller loop does it: PointFilter → SiteDecider.Decide
/// → OutputPlan → GpioOutputLines.Write over GpioController on the simulated chip.
/// </summary>
[Config(typeof(HotPathConfig))]
public class HotPathBenchmarks
{
    private ControllerPath _path = null!;
    private GuardScenario _scenario = null!;

    [GlobalSetup]
    public void Setup()
    {
        _path = new ControllerPath();
        _scenario = new GuardScenario(_path);
        // Sanity: the cycle really locks down and clears, so the figures are about real writes.
        _scenario.Run(Step.PanicPress);
        if (!_path.LampHigh || _path.State.Mode != SiteMode.Lockdown)
        {
            throw new InvalidOperationException("Panic press did not lock down: the benchmark would time nothing.");
        }

        _scenario.Run(Step.PanicRelease);
        _scenario.Run(Step.KeyClear);
        if (_path.LampHigh || _path.State.Mode != SiteMode.Normal)
        {
            throw new InvalidOperationException("Keyswitch did not clear the lockdown.");
        }

        _scenario.Run(Step.KeyRelease);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Thrown here it fails the benchmark loudly instead of reporting the suppressed path's speed.
        if (_path.AnyChattering)
        {
            throw new InvalidOperationException("A point was flagged as chattering during the run.");
        }

        _path.Dispose();
    }

    /// <summary>A door opens or closes (debounced): the commonest change, no output moves.</summary>
    [Benchmark(Baseline = true)]
    public void DoorContactChange() => _scenario.Run(Step.DoorChange);

    /// <summary>
    /// Mean per point change over press → release → keyswitch clear → release; the press and the
    /// clear each rewrite all five outputs. The per-step split and true per-change percentiles
    /// come from <c>--latency</c>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public void LockdownCycle_PerChange()
    {
        _scenario.Run(Step.PanicPress);
        _scenario.Run(Step.PanicRelease);
        _scenario.Run(Step.KeyClear);
        _scenario.Run(Step.KeyRelease);
    }
}

/// <summary>The pieces of the hot path on their own, to see where the time goes.</summary>
[Config(typeof(HotPathConfig))]
public class HotPathPartsBenchmarks
{
    private static readonly Moment Now = ControllerPath.At(TimeSpan.FromSeconds(10));
    private static readonly PointChanged PanicPressed = new(BenchSite.Panic, Active: true);
    private SiteDefinition _site = null!;
    private SiteState _normal = null!;
    private SiteState _lockdown = null!;
    private SimulatedGpioDriver _driver = null!;
    private GpioController _controller = null!;
    private GpioOutputLines _outputs = null!;
    private IReadOnlyDictionary<string, bool> _levelsNormal = null!;
    private IReadOnlyDictionary<string, bool> _levelsLockdown = null!;

    [GlobalSetup]
    public void Setup()
    {
        _site = BenchSite.Create();
        _normal = SiteState.Restore(_site, SafetyState.Initial, new Dictionary<string, bool>(), Now);
        _lockdown = SiteDecider.Decide(_site, _normal, PanicPressed, Now).State;
        _levelsNormal = OutputPlan.For(_site, _normal).Levels(_site);
        _levelsLockdown = OutputPlan.For(_site, _lockdown).Levels(_site);
        _driver = new SimulatedGpioDriver();
        _controller = new GpioController(_driver);
        _outputs = new GpioOutputLines(_controller, _site.Outputs, _levelsNormal);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _outputs.Dispose();
        _controller.Dispose();
    }

    /// <summary>The pure decision for a panic press in normal mode (state is immutable, so it repeats exactly).</summary>
    [Benchmark]
    public Decision Decide_PanicPress() => SiteDecider.Decide(_site, _normal, PanicPressed, Now);

    /// <summary>The lockdown plan and the electrical levels that realise it.</summary>
    [Benchmark]
    public IReadOnlyDictionary<string, bool> OutputPlan_ForAndLevels() => OutputPlan.For(_site, _lockdown).Levels(_site);

    /// <summary>All five outputs flipped through GpioOutputLines → GpioController → driver (per flip of the set).</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public void GpioWrite_FiveOutputs()
    {
        foreach (var (id, high) in _levelsLockdown)
        {
            _outputs.Write(id, high);
        }

        foreach (var (id, high) in _levelsNormal)
        {
            _outputs.Write(id, high);
        }
    }
}
