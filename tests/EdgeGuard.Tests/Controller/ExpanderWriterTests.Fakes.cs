using EdgeGuard.Core.Commands;
using System.Collections.Immutable;
using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Testing;

namespace EdgeGuard.Tests.Controller;

// The fakes of the expander writer tests: a sink that holds the loop, lines that throw after a
// write, and the bus the simulated chip sits on.
public sealed partial class ExpanderWriterTests
{
    /// <summary>Holds the loop in its report once, when asked: the edges meanwhile wait in the channel.</summary>
    private sealed class HoldingSink : IEventSink, IDisposable
    {
        public volatile bool HoldNext;

        public SemaphoreSlim Entered { get; } = new(0);

        public SemaphoreSlim Release { get; } = new(0);

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            if (HoldNext)
            {
                HoldNext = false;
                Entered.Release();
                _ = Release.Wait(Bound * 2);
            }
        }

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }

    /// <summary>Lines whose write of an output, while <paramref name="throws"/> says so, is made and then throws.</summary>
    private sealed class ThrowingAfterWrite(IOutputLines inner, Func<string, bool> throws) : IOutputLines
    {
        public void Write(string outputId, bool high)
        {
            inner.Write(outputId, high);
            if (throws(outputId))
            {
                throw new IOException("EIO");
            }
        }

        public bool ReadBack(string outputId) => inner.ReadBack(outputId);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions expander1) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
