namespace EdgeGuard.Testing;

/// <summary>
/// A named pipe (FIFO) made with <c>mkfifo</c>, standing where the code under test expects a file:
/// a secrets agent's pipe, <c>/dev/stdin</c> or a wrong path. Dispose lets a reader that did block
/// (the bug a test shows) go on, so no thread of the test run is left waiting on it.
/// </summary>
public sealed class NamedPipe : IDisposable
{
    /// <summary>Makes the pipe at <paramref name="path"/>.</summary>
    public NamedPipe(string path)
    {
        Path = path;
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} exited {mkfifo.ExitCode}");
        }
    }

    /// <summary>Where the pipe is.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        // A reader blocked in open(2) waits for a writer; opening for reading and writing never
        // blocks, counts as one, and closing it gives the reader end-of-file.
        using var both = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite);
    }
}
