using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// Routed lines own their parts. One part that throws at dispose must not leave the others open: an expander's
/// writer behind it would never be drained, and a last egress release queued on it never written.
/// </summary>
public sealed class RoutedLinesDisposeTests
{
    [Fact]
    public void Output_parts_after_one_that_throws_are_still_disposed_and_the_failure_is_thrown()
    {
        var failing = new Outputs(throws: true);
        var after = new Outputs(throws: false);
        var routed = new RoutedOutputLines([(failing, ["lock-a"]), (after, ["lock-b"])]);

        var thrown = Assert.Throws<AggregateException>(routed.Dispose);

        Assert.True(after.Disposed);
        Assert.Equal("lines failed to close", Assert.Single(thrown.InnerExceptions).Message);
    }

    [Fact]
    public void Input_parts_after_one_that_throws_are_still_disposed()
    {
        var failing = new Inputs(throws: true);
        var after = new Inputs(throws: false);
        var routed = new RoutedInputLines([(failing, ["door-a"]), (after, ["door-b"])]);

        Assert.Throws<AggregateException>(routed.Dispose);

        Assert.True(after.Disposed);
    }

    private sealed class Outputs(bool throws) : IOutputLines
    {
        public bool Disposed { get; private set; }

        public void Write(string outputId, bool high)
        {
        }

        public bool ReadBack(string outputId) => false;

        public void Dispose()
        {
            Disposed = true;
            if (throws)
            {
                throw new IOException("lines failed to close");
            }
        }
    }

    private sealed class Inputs(bool throws) : IInputLines
    {
        public bool Disposed { get; private set; }

        public bool Read(string pointId) => false;

        public void Start(Action<RawEdge> onEdge)
        {
        }

        public void Dispose()
        {
            Disposed = true;
            if (throws)
            {
                throw new IOException("lines failed to close");
            }
        }
    }
}
