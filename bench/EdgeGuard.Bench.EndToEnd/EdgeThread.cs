using System.Collections.Concurrent;
using System.IO.Pipes;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// Where the bench's door edges reach the gateway: a thread of its own, blocked in a read of a pipe
/// and woken by the kernel when the bench writes to it, as the GPIO driver's event thread is woken
/// from its wait on the line's file descriptor when the line changes. Until 2026-12-06 the bench set
/// the line on its own running thread, which left that wake-up (tens of µs on a loaded VM) out of
/// the gateway's latency row while the bare row paid nothing like it either: it flattered the
/// gateway (the review of the bench, runs Z49). The pipe write is the bench's, before the wake-up,
/// and counts in the gateway's row: a few µs.
/// </summary>
internal sealed class EdgeThread : IDisposable
{
    private readonly AnonymousPipeServerStream _writer = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream _reader;
    private readonly ConcurrentQueue<Action> _edges = new();
    private readonly Thread _thread;
    private readonly byte[] _wake = [1];
    private Exception? _fault;

    public EdgeThread()
    {
        _reader = new AnonymousPipeClientStream(PipeDirection.In, _writer.ClientSafePipeHandle);
        _thread = new Thread(Run) { IsBackground = true, Name = "bench GPIO events" };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="edge"/> on the event thread, after the edges raised before it.</summary>
    public void Raise(Action edge)
    {
        if (Volatile.Read(ref _fault) is { } fault)
        {
            throw new InvalidOperationException("an edge failed on the bench's event thread", fault);
        }

        _edges.Enqueue(edge);
        _writer.Write(_wake);
    }

    public void Dispose()
    {
        _writer.Dispose(); // the reader sees the end of the pipe and the thread ends
        _thread.Join(TimeSpan.FromSeconds(10));
        _reader.Dispose();
    }

    private void Run()
    {
        // Several edges raised while it ran are read at once, as the driver reads the events queued.
        var buffer = new byte[256];
        while (_reader.Read(buffer) is var read and > 0)
        {
            for (var i = 0; i < read && _edges.TryDequeue(out var edge); i++)
            {
                try
                {
                    edge();
                }
#pragma warning disable CA1031 // Kept for the bench thread to throw at its next edge.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Volatile.Write(ref _fault, ex);
                }
            }
        }
    }
}
