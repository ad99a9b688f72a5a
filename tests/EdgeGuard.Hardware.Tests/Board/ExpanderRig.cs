using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The bench the expander tests share: a register-level MCP23017 fake whose INTA drives host line
/// <see cref="AnnexExpander.IntLine"/> (released, held up by the host's pull-up), a fake clock, and the
/// events and edges a bank reports. The door contact on A1 starts closed.
/// </summary>
internal sealed class ExpanderRig : IDisposable
{
    public ExpanderRig()
    {
        Controller = new GpioController(Host);
        Host.SetInputLevel(AnnexExpander.IntLine, true);
        Fake.InterruptLevelChanged += level => Host.SetInputLevel(AnnexExpander.IntLine, level);
        Fake.SetPin(1, false);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public SimulatedGpioDriver Host { get; } = new();

    public GpioController Controller { get; }

    public FakeMcp23017 Fake { get; } = new();

    public List<DomainEvent> Reported { get; } = [];

    public List<RawEdge> Edges { get; } = [];

    public void Dispose() => Controller.Dispose();
}
