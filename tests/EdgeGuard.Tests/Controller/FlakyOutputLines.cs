using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The real output lines, counting the controller's calls, except that writes to
/// <see cref="FailingWrite"/> throw as a dead relay driver would, and reading back
/// <see cref="FailingReadBack"/> throws.
/// </summary>
internal sealed class FlakyOutputLines
{
    private IOutputLines _real = null!;

    public string? FailingWrite { get; set; }

    public string? FailingReadBack { get; set; }

    /// <summary>Writes and read-backs the controller made, failed ones included.</summary>
    public int Calls { get; private set; }

    /// <summary>Writes that threw because their output was <see cref="FailingWrite"/>.</summary>
    public int WriteFailures { get; private set; }

    public int ReadBackFailures { get; private set; }

    /// <summary>Wraps the lines the controller would have used (ControllerHarness's outputs hook).</summary>
    public IOutputLines Around(IOutputLines real)
    {
        _real = real;
        return new Lines(this);
    }

    private sealed class Lines(FlakyOutputLines owner) : IOutputLines
    {
        public void Write(string outputId, bool high)
        {
            owner.Calls++;
            if (outputId == owner.FailingWrite)
            {
                owner.WriteFailures++;
                throw new IOException($"relay driver for {outputId} did not answer");
            }

            owner._real.Write(outputId, high);
        }

        public bool ReadBack(string outputId)
        {
            owner.Calls++;
            if (outputId == owner.FailingReadBack)
            {
                owner.ReadBackFailures++;
                throw new IOException($"read-back of {outputId} failed");
            }

            return owner._real.ReadBack(outputId);
        }

        public void Dispose() => owner._real.Dispose();
    }
}
