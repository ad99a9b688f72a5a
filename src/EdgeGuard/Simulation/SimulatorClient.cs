using System.Net.Sockets;
using System.Text;

namespace EdgeGuard.Simulation;

/// <summary>Something that answers simulator protocol lines: the socket client, or the server in-process.</summary>
public interface ISimulatorLink
{
    /// <summary>Sends one command line and returns the reply line.</summary>
    Task<string> SendAsync(string line, CancellationToken cancellationToken);
}

/// <summary>Talks to a running simulated gateway over its control socket.</summary>
public sealed class SimulatorClient : ISimulatorLink, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private SimulatorClient(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(stream, Encoding.UTF8);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>Connects; the error says which socket and what to check when nobody is listening.</summary>
    public static async Task<SimulatorClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new SimulatorClient(socket);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException(
                $"No simulated gateway is listening on {socketPath} ({ex.SocketErrorCode}). Start one with `edgeguard run --simulate`, or pass --socket.", ex);
        }
    }

    /// <inheritdoc/>
    public async Task<string> SendAsync(string line, CancellationToken cancellationToken)
    {
        await _writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        return await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The simulated gateway closed the control connection.");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _reader.Dispose();
        _socket.Dispose();
    }
}
