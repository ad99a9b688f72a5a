using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal whose writer can be held inside a commit, as an SD card hung in fsync holds it: what
/// must not wait for the card (the replay store, the safety-state save, the publisher's session
/// counter) is shown to give up promptly. Held until <see cref="ReleaseTheWriter"/> or the test ends.
/// </summary>
public abstract class HeldWriterFixture : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writerInCommit;

    /// <summary>The journal under test.</summary>
    private protected JournalHarness H { get; } = new();

    /// <summary>Whether the writer is inside the held commit right now.</summary>
    protected bool WriterInCommit => Volatile.Read(ref _writerInCommit) == 1;

    /// <inheritdoc />
    public void Dispose()
    {
        _release.Set();
        H.Dispose();
        _release.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets the held commit finish.</summary>
    protected void ReleaseTheWriter() => _release.Set();

    /// <summary>Waits, as the held commit does, until <see cref="ReleaseTheWriter"/> (or twice Patience).</summary>
    protected void WaitForRelease() => _release.Wait(2 * Patience);

    /// <summary>Commits event 1, then holds the writer inside the commit of event 2.</summary>
    protected async Task HoldTheWriterInsideACommit()
    {
        await H.PublishAndFlush(Activated(1));
        H.Journal.BeforeCommit = _ =>
        {
            Volatile.Write(ref _writerInCommit, 1);
            _held.TrySetResult();
            WaitForRelease();
            Volatile.Write(ref _writerInCommit, 0);
        };

        H.Publish(Activated(2));
        await _held.Task.WaitAsync(Patience);
    }
}
