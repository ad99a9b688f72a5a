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
    private volatile bool _intWired = true;

    public ExpanderRig()
    {
        Controller = new GpioController(Host);
        Host.SetInputLevel(AnnexExpander.IntLine, true);
        Fake.InterruptLevelChanged += level =>
        {
            if (_intWired)
            {
                Host.SetInputLevel(AnnexExpander.IntLine, level);
            }
        };
        Fake.SetPin(1, false);
    }

    /// <summary>
    /// Whether INTA reaches the host line. False is a cut wire: the host's pull-up holds the line high while the
    /// chip still answers on I2C. Set back to true, the line follows INTA again (low at once if it is asserted).
    /// </summary>
    public bool IntWired
    {
        get => _intWired;
        set
        {
            _intWired = value;
            Host.SetInputLevel(AnnexExpander.IntLine, !value || Fake.IntLevel);
        }
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public SimulatedGpioDriver Host { get; } = new();

    public GpioController Controller { get; }

    public FakeMcp23017 Fake { get; } = new();

    public List<DomainEvent> Reported { get; } = [];

    public List<RawEdge> Edges { get; } = [];

    public void Dispose() => Controller.Dispose();
}
