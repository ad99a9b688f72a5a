using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>One I2C transaction as the bus saw it: bytes the master wrote, then bytes it read.</summary>
public sealed record I2cTransaction(byte[] Written, byte[] Read)
{
    /// <summary>The transaction as hex, e.g. <c>W[12] R[FF00]</c>, so a failed assertion shows the bytes.</summary>
    public override string ToString() =>
        $"W[{Convert.ToHexString(Written)}]" + (Read.Length > 0 ? $" R[{Convert.ToHexString(Read)}]" : "");
}

/// <summary>
/// The simulator's MCP23017 register model (<see cref="SimulatedMcp23017"/>) with what tests need on top:
/// every transaction recorded byte for byte, and NACKs on demand. The chip's behaviour is the simulator's,
/// so the driver is tested against the same model the gateway runs on in simulate mode.
/// </summary>
public sealed class FakeMcp23017 : SimulatedMcp23017
{
    private readonly List<I2cTransaction> _transactions = [];

    // Its own lock: the list is filled under the chip's lock, but read by tests from any thread.
    private readonly Lock _recording = new();

    /// <summary>A chip at <paramref name="address"/> on <paramref name="bus"/>; INTA is observed through <see cref="SimulatedMcp23017.InterruptLevelChanged"/>.</summary>
    public FakeMcp23017(int address = 0x20, int bus = 1)
        : base(bus, address)
    {
    }

    /// <summary>The next transaction throws this, as a NACK does on Linux.</summary>
    public IOException? FailNext { get; set; }

    /// <summary>While set, every transaction throws it: a driver that fails with what the code does not expect of a bus.</summary>
    public Exception? FailAll { get; set; }

    /// <summary>While set, a transaction whose written bytes match throws an IOException, as a NACK does (<c>_ =&gt; true</c>: a chip without power).</summary>
    public Predicate<byte[]>? Nack { get; set; }

    /// <summary>Every transaction so far, refused ones included (with nothing read), in the order the chip saw them.</summary>
    public IReadOnlyList<I2cTransaction> Transactions
    {
        get
        {
            lock (_recording)
            {
                return [.. _transactions];
            }
        }
    }

    /// <summary>Forgets the recorded transactions, so a test asserts only on what follows.</summary>
    public void ClearTransactions()
    {
        lock (_recording)
        {
            _transactions.Clear();
        }
    }

    /// <summary>
    /// While set, a transaction whose written bytes match is held, as on a bus a slave holds low: <see cref="Held"/>
    /// is released when one is, and <see cref="Unhold"/> lets one through (bounded, so a failing test ends).
    /// Held under the chip's lock, as a real transaction holds the bus: read nothing of the chip meanwhile.
    /// </summary>
    public Predicate<byte[]>? Hold { get; set; }

    /// <summary>Released once for every transaction <see cref="Hold"/> holds.</summary>
    public SemaphoreSlim Held { get; } = new(0);

    /// <summary>Release once to let one held transaction through.</summary>
    public SemaphoreSlim Unhold { get; } = new(0);

    /// <inheritdoc/>
    protected override void BeginTransaction(ReadOnlySpan<byte> written)
    {
        if (Hold?.Invoke(written.ToArray()) == true)
        {
            Held.Release();
            if (!Unhold.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new IOException("held transaction was never let through");
            }
        }

        if ((FailAll ?? FailNext ?? (Nack?.Invoke(written.ToArray()) == true ? new IOException("NACK") : null)) is { } failure)
        {
            FailNext = null;
            Record(written, []);
            throw failure;
        }
    }

    /// <inheritdoc/>
    protected override void EndTransaction(ReadOnlySpan<byte> written, ReadOnlySpan<byte> read) => Record(written, read);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Held.Dispose();
            Unhold.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Record(ReadOnlySpan<byte> written, ReadOnlySpan<byte> read)
    {
        lock (_recording)
        {
            _transactions.Add(new I2cTransaction(written.ToArray(), read.ToArray()));
        }
    }
}
