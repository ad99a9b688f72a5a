using System.Device.Gpio;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp3008;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Composes the gateway's lines: native GPIO, MCP23017 expander pins and MCP3008 supervised loops behind
/// the one <see cref="IInputLines"/> and <see cref="IOutputLines"/> the controller knows, routed by id.
/// </summary>
internal static class IoBoardComposition
{
    /// <summary>
    /// Registers the input lines and the output factory (and, in simulate mode, the simulated board). The
    /// caller registers the <see cref="HardwareFaultReporter"/> that receives the board's supervision events
    /// and the native lines' resync faults (an edge lost and its level re-read).
    /// </summary>
    public static IServiceCollection AddGatewayLines(this IServiceCollection services, GatewayConfig config, GpioDriver driver)
    {
        var site = config.Site;
        var board = config.Board;
        if (driver is SimulatedGpioDriver simulated)
        {
            // No I2C or SPI in simulate mode: the same drivers run against in-memory chips.
            services.AddSingleton(_ => new SimulatedBusDevices(simulated, board));
            services.AddSingleton<IBusDevices>(sp => sp.GetRequiredService<SimulatedBusDevices>());
            services.AddSingleton(sp => new SimulatedBoard(site, board, simulated, sp.GetRequiredService<SimulatedBusDevices>()).Quiet());
            // Lock monitors follow their locks and doors, as bond sensors do (started by the gateway or walk test).
            services.AddSingleton(sp => new SimulatedLockMonitors(site, sp.GetRequiredService<SimulatedBoard>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<IBusDevices, SystemBusDevices>();
        }

        services.AddSingleton(sp => new ExpanderBank(
            sp.GetRequiredService<GpioController>(), board.Expanders, site.Points, site.Outputs,
            sp.GetRequiredService<IBusDevices>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<HardwareFaultReporter>().Report));
        services.AddSingleton(Loops(config));
        services.AddSingleton(Inputs(config));
        services.AddSingleton(Outputs(config));
        return services;
    }

    private static Func<IServiceProvider, IInputLines> Inputs(GatewayConfig config) => sp =>
    {
        var site = config.Site;
        var board = config.Board;
        var time = sp.GetRequiredService<TimeProvider>();
        var native = site.Points.Where(p => p.LineAddress is null).ToList();
        // The native lines' resync reports lost edges the way the expanders report theirs.
        var gpio = new GpioInputLines(sp.GetRequiredService<GpioController>(), native, time, sp.GetRequiredService<HardwareFaultReporter>().Report);
        if (board.Expanders.Count == 0 && board.Adcs.Count == 0)
        {
            return gpio;
        }

        var parts = new List<(IInputLines, IEnumerable<string>)> { (gpio, native.Select(p => p.Id)) };
        if (sp.GetRequiredService<ExpanderBank>() is { PointIds.Count: > 0 } bank)
        {
            parts.Add((bank, bank.PointIds));
        }

        // Resolving the simulated board puts its pins and loops at rest before the controller reads them.
        _ = sp.GetService<SimulatedBoard>();
        foreach (var lines in sp.GetRequiredService<IReadOnlyList<EolLoopLines>>())
        {
            parts.Add((lines, lines.PointIds));
        }

        return new RoutedInputLines(parts);
    };

    /// <summary>The supervised loops of every ADC (owned by the input lines; the walk test reads their last readings).</summary>
    private static Func<IServiceProvider, IReadOnlyList<EolLoopLines>> Loops(GatewayConfig config) => sp =>
    {
        var site = config.Site;
        var board = config.Board;
        if (board.Adcs.Count == 0)
        {
            return [];
        }

        var buses = sp.GetRequiredService<IBusDevices>();
        var report = sp.GetRequiredService<HardwareFaultReporter>().Report;
        var time = sp.GetRequiredService<TimeProvider>();
        return [.. board.Adcs.Select(adc =>
        {
            var loops = board.Loops.Where(l => l.AdcId == adc.Id)
                .Select(l => new SupervisedLoop(site.Point(l.PointId), l.Channel, new EolLoopClassifier(l.Thresholds)))
                .ToList();
            var device = buses.OpenAdc(adc);
            return new EolLoopLines(adc.Id, new Mcp3008(device).Read, adc.PollInterval, loops, time, report, device);
        })];
    };

    // Opens the outputs named in the initial levels only: the controller opens the native egress
    // locks first when a fire reads active before the saved state is loaded, and the rest after it.
    private static Func<IServiceProvider, OutputLinesFactory> Outputs(GatewayConfig config) => sp =>
    {
        var probed = false;
        return (initial, last) =>
        {
            var native = config.Site.Outputs.Where(o => o.LineAddress is null && initial.ContainsKey(o.Id)).ToList();
            var nativeIds = native.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
            if (!last && initial.Count != nativeIds.Count)
            {
                throw new ArgumentException("Only native outputs are opened before the last call.", nameof(initial));
            }

            // A line the kernel refuses (EBUSY) is fault.hardware, like an expander that does not answer.
            var gpio = new GpioOutputLines(
                sp.GetRequiredService<GpioController>(), native,
                initial.Where(kv => nativeIds.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<HardwareFaultReporter>().Report);
            // Each start, once the native outputs are driven: will the kernel keep them so at the next
            // stop? Once per start, not once per call.
            if (!probed && native.Count > 0)
            {
                probed = true;
                sp.GetService<ReleasedOutputsProbe>()?.Check(
                    native.Count, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<HardwareFaultReporter>(),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ReleasedOutputsProbe)));
            }

            // Every expander is configured on the last call, whatever it names: one carrying only
            // inputs (every relay on a native line) has no output to ask for it, and its points
            // cannot be read until it is (each would read its fail-safe level, a fire input there
            // latching the egress release). Never on the early call, which names native egress
            // locks only: a chip is configured with every output on it at its plan level.
            if (config.Board.Expanders.Count == 0 || !last)
            {
                return gpio;
            }

            return WithExpanders(sp, gpio, nativeIds, initial);
        };
    };

    private static RoutedOutputLines WithExpanders(IServiceProvider sp, GpioOutputLines gpio, HashSet<string> nativeIds, IReadOnlyDictionary<string, bool> initial)
    {
        // The expanders are configured here, with their outputs at the restored plan's levels, before any
        // input is read (the controller opens outputs first). Later writes go through a writer per chip,
        // so the controller's loop never waits for the I²C bus (docs/architecture.md, "Output write order").
        var bank = sp.GetRequiredService<ExpanderBank>();
        return new RoutedOutputLines([(gpio, nativeIds), (bank.OpenOutputWriters(initial), bank.OutputIds)]);
    }
}
