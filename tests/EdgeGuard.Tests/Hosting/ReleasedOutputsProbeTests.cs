using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// At each start, once the native outputs are driven, the gateway asks the kernel whether they will keep
/// their level while it is stopped, and tells the office when they will not. The host is the real
/// composition on the simulated driver; only the chip's kernel setting is stood in for.
/// </summary>
public sealed class ReleasedOutputsProbeTests
{
    private static List<DomainEvent> OpenOutputs(string? setting) => OpenOutputs(setting, new List<int>());

    // The faults reported, and the event ids the probe logged (140 falls, 141 unknown, 142 held).
    private static List<DomainEvent> OpenOutputs(string? setting, List<int> logged)
    {
        var reported = new List<DomainEvent>();
        using var host = TestGatewayHost.Build(services: services =>
        {
            services.AddSingleton(new HardwareFaultReporter(reported.AddRange));
            services.AddSingleton<ILoggerProvider>(new ProbeLog(logged));
            services.AddSingleton(new ReleasedOutputsProbe("gpiochip0", "pinctrl-bcm2711", path =>
                path == "/sys/module/pinctrl_bcm2835/parameters/persist_gpio_outputs" ? setting : null));
        });

        using var outputs = host.Services.GetRequiredService<OutputLinesFactory>()(new Dictionary<string, bool>
        {
            ["lock-annex"] = true, ["lamp-annex"] = false, ["siren-main"] = false,
        });
        return reported;
    }

    [Fact]
    public void Outputs_the_kernel_turns_into_inputs_on_release_are_a_critical_hardware_fault_at_start()
    {
        var reported = OpenOutputs("N\n");

        var fault = Assert.IsType<HardwareFault>(Assert.Single(reported));
        Assert.Equal("fault.hardware", fault.Type);
        Assert.Equal(Severity.Critical, fault.Severity);
        Assert.Equal("gpiochip0", fault.Device);
        Assert.Contains("every relay on the GPIO header drops", fault.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Y\n", 142)]
    [InlineData(null, 141)]
    public void Outputs_that_are_held_or_a_setting_that_cannot_be_read_raise_no_fault_and_are_logged(string? setting, int eventId)
    {
        var logged = new List<int>();

        Assert.Empty(OpenOutputs(setting, logged));
        Assert.Equal([eventId], logged);
    }

    // Collects the event ids ReleasedOutputsProbe logs.
    private sealed class ProbeLog(List<int> logged) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == typeof(ReleasedOutputsProbe).FullName ? new Logger(logged) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Logger(List<int> logged) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logged.Add(eventId.Id);
        }
    }
}
