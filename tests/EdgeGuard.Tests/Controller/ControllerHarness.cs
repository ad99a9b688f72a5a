using System.Collections.Immutable;
using System.Device.Gpio;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A <see cref="SiteController"/> on the real GpioController over the simulated driver, with a
/// fake clock (TimerRecordingClock) so debounce, siren, settle and stuck timing are exact and
/// independent of the machine's speed. Inputs start at their inactive level.
/// </summary>
internal sealed class ControllerHarness : IAsyncDisposable
{
    private readonly GpioController _gpio;

    /// <param name="site">The site the controller protects.</param>
    /// <param name="store">Makes the safety-state store, given the simulated chip.</param>
    /// <param name="extraSink">A sink that receives the reported events after <see cref="Events"/>.</param>
    /// <param name="outputs">Wraps the real output lines (a test that makes writes fail); null uses them as they are.</param>
    /// <param name="openOutputs">
    /// Opens the output lines instead of one <see cref="GpioOutputLines"/> for every output, given the
    /// harness's controller and the boot levels: a site with outputs on an expander composes them here.
    /// </param>
    /// <param name="openInputs">
    /// Opens the input lines instead of one <see cref="GpioInputLines"/> for every point, given the harness's
    /// controller and clock: a site with points on an expander composes them here (its native points start
    /// inactive). Called while the harness is constructed.
    /// </param>
    /// <param name="logger">Where the controller logs; null logs nowhere.</param>
    /// <param name="opened">Told of each call to the output factory: the levels asked, and whether it is the last.</param>
    /// <param name="chip">Prepares the simulated chip before any line is opened (a line another process holds).</param>
    public ControllerHarness(
        SiteDefinition site, Func<SimulatedGpioDriver, ISafetyStateStore> store, IEventSink? extraSink = null,
        Func<IOutputLines, IOutputLines>? outputs = null,
        Func<GpioController, IReadOnlyDictionary<string, bool>, IOutputLines>? openOutputs = null,
        Func<GpioController, TimeProvider, IInputLines>? openInputs = null,
        ILogger<SiteController>? logger = null,
        Action<IReadOnlyDictionary<string, bool>, bool>? opened = null,
        Action<SimulatedGpioDriver>? chip = null)
    {
        Site = site;
        chip?.Invoke(Driver);
        _gpio = new GpioController(Driver);
        foreach (var point in site.Points.Where(p => p.LineAddress is null))
        {
            Driver.SetInputLevel(point.Line, point.LevelFor(false));
        }

        Controller = new SiteController(
            site,
            openInputs is not null ? openInputs(_gpio, Time) : new GpioInputLines(_gpio, site.Points, Time),
            (initial, last) =>
            {
                opened?.Invoke(initial, last);
                return openOutputs is not null
                    ? openOutputs(_gpio, initial)
                    : outputs is null ? OpenNative(site, initial) : outputs(OpenNative(site, initial));
            },
            store(Driver),
            extraSink is null ? [Events] : [Events, extraSink],
            Time,
            logger ?? NullLogger<SiteController>.Instance);
    }

    public SiteDefinition Site { get; }

    // The outputs named, as the gateway's factory opens them (the controller may open some first).
    private GpioOutputLines OpenNative(SiteDefinition site, IReadOnlyDictionary<string, bool> initial) =>
        new(_gpio, site.Outputs.Where(o => initial.ContainsKey(o.Id)), initial);

    public TimerRecordingClock Time { get; } = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));

    public SimulatedGpioDriver Driver { get; } = new();

    public RecordingSink Events { get; } = new();

    public SiteController Controller { get; }

    /// <summary>Boots the controller, advancing the fake clock through its input settle time.</summary>
    public async Task BootAsync()
    {
        var start = Controller.StartAsync(CancellationToken.None);
        while (!start.IsCompleted)
        {
            Time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await start;
    }

    /// <summary>
    /// Waits (bounded) until the loop has handled and reported everything enqueued before this call: a
    /// heartbeat queues behind it and is answered only after the report. A second one covers a timer the
    /// first batch re-armed already due. Then until the loop has left its gate, so the next edge finds
    /// the controller idle. A barrier, not a quiet period, so a loaded machine cannot fool it.
    /// </summary>
    /// <param name="saved">
    /// Then also until the safety state's save has ended and the loop has taken its end: a save
    /// still running as the test moves the clock on (a loaded machine) outlasts the wait on that
    /// clock, with a <c>fault.safety-state-not-persisted</c> and decisions in another order.
    /// </param>
    public async Task SettleAsync(bool saved = false)
    {
        for (var i = 0; i < 2; i++)
        {
            await Controller.HeartbeatAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(Controller.WaitUntilOutsideGate(TimeSpan.FromSeconds(30)), "the loop never left its gate");
        if (saved)
        {
            await Eventually.TrueAsync(() => Controller.SafetySaverIdle, TimeSpan.FromSeconds(30), "the safety state's save to end");
            await SettleAsync();
        }
    }

    /// <summary>
    /// Advances the clock in steps of at most 100 ms, settling after each: a timer that fires
    /// within one advance is handled after it, so a deadline it re-arms (a hold time counts from
    /// when the loop saw the change) would otherwise wait for the next advance.
    /// </summary>
    /// <param name="by">How far.</param>
    /// <param name="saved">After each step, also until no save runs (<see cref="SettleAsync"/>).</param>
    public async Task AdvanceInStepsAsync(TimeSpan by, bool saved = false)
    {
        var step = TimeSpan.FromMilliseconds(100);
        for (; by > step; by -= step)
        {
            Time.Advance(step);
            await SettleAsync(saved);
        }

        Time.Advance(by);
        await SettleAsync(saved);
    }

    /// <summary>
    /// After a stop was asked for: waits (bounded) until the controller's loop has ended. By the loop
    /// task's state, polled, not by a continuation on that task: the stop's own await of the loop is
    /// one too, and when it was registered first (the stop's thread ahead of the test's, as a loaded
    /// machine has it now and then) it runs inline as the task completes, on the loop's thread, on
    /// into the stop's last save. With a save hung until the test sees the loop end, and the fake
    /// clock standing (so the stop's budget never runs out), a continuation of the test behind it
    /// never ran: the test waited for itself (HungSaveTests.StopOrder.cs).
    /// </summary>
    public Task LoopEndedAsync(TimeSpan timeout) =>
        Eventually.TrueAsync(() => Controller.ExecuteTask is { IsCompleted: true }, timeout, "the controller's loop to end");

    /// <summary>Hands a verified command to the loop and waits (bounded) for its answer.</summary>
    public Task<CommandOutcome> ExecuteAsync(Core.Commands.VerifiedCommand command) =>
        Controller.ExecuteAsync(command, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>
    /// A command as the verifier hands it over, for this site and gateway, signed now and valid for a
    /// minute (the signature is not checked past the verifier). Each gets a new id.
    /// </summary>
    public Core.Commands.VerifiedCommand Signed(Core.Commands.CommandType type, string @operator, Core.Commands.OperatorRole role, params (string Key, Core.Commands.JsonItem Value)[] args) =>
        new(new Core.Commands.CommandEnvelope(
            Guid.NewGuid().ToString(), type, Site.SiteId, Site.GatewayId, @operator, Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(1),
            new Core.Commands.JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)),
            System.Collections.Immutable.ImmutableArray.Create(new byte[Core.Commands.CommandEnvelope.SignatureLength])), role);

    /// <summary>Sets a point's line to the level that means <paramref name="active"/>.</summary>
    public void Set(string point, bool active) => Driver.SetInputLevel(Site.Point(point).Line, Site.Point(point).LevelFor(active));

    public async ValueTask DisposeAsync()
    {
        await Controller.StopAsync(CancellationToken.None);
        Controller.Dispose();
        _gpio.Dispose();
    }
}
