using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// At each start, once the native outputs are driven, the gateway asks the kernel whether they will keep
/// their level while it is stopped, and tells the office when they will not. The host is the real
/// composition on the simulated driver; only the chip's kernel setting is stood in for.
/// </summary>
public sealed class ReleasedOutputsProbeTests
{
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json");

    private static List<DomainEvent> OpenOutputs(string? setting)
    {
        var state = Directory.CreateTempSubdirectory("eg-released-").FullName;
        try
        {
            var loaded = GatewayConfigLoader.Build(Sample, [$"EdgeGuard:stateDirectory={state}"]);
            var config = GatewayConfigReader.Read(loaded.Configuration, simulate: true).Config!;
            var reported = new List<DomainEvent>();
            using var host = GatewayHost.Build(config, loaded.Configuration, services =>
            {
                services.AddSingleton(new HardwareFaultReporter(reported.AddRange));
                services.AddSingleton(new ReleasedOutputsProbe("gpiochip0", "pinctrl-bcm2711", path =>
                    path == "/sys/module/pinctrl_bcm2835/parameters/persist_gpio_outputs" ? setting : null));
            });

            using var outputs = host.Services.GetRequiredService<OutputLinesFactory>()(new Dictionary<string, bool>
            {
                ["lock-annex"] = true, ["lamp-annex"] = false, ["siren-main"] = false,
            });
            return reported;
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
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
    [InlineData("Y\n")]
    [InlineData(null)]
    public void Outputs_that_are_held_or_a_setting_that_cannot_be_read_raise_no_fault(string? setting)
    {
        Assert.Empty(OpenOutputs(setting));
    }
}
