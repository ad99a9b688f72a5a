using System.Net;
using System.Net.Sockets;

namespace EdgeGuard.Testing;

/// <summary>
/// A TCP relay between the gateway and the broker that can turn into a black hole: connections stay
/// open but no byte gets through, like a cut path behind a switch. Neither side sees a FIN or RST,
/// so only keep-alives can tell the link is dead.
/// </summary>
public sealed class BlackholeProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private volatile bool _blackholed;

    private BlackholeProxy(int target)
    {
        _target = target;
        _listener.Start();
        _acceptLoop = Task.Run(AcceptAsync);
    }

    /// <summary>The port the gateway connects to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts relaying to 127.0.0.1:<paramref name="target"/>.</summary>
    public static BlackholeProxy Start(int target) => new(target);

    /// <summary>From now on, every byte in either direction is dropped and connections are kept open.</summary>
    public void Blackhole() => _blackholed = true;

    /// <summary>Closes the black-holed connections and relays new ones normally again.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
            _blackholed = false;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Restore();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_gate)
            {
                _sockets.Add(inbound);
                _sockets.Add(outbound);
            }

            _ = RelayAsync(inbound, outbound);
            _ = RelayAsync(outbound, inbound);
        }
    }

    private async Task RelayAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (!_blackholed)
                {
                    await sink.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or SocketException)
        {
        }

        // A black hole never passes a close on: the other side must find out by itself.
        if (!_blackholed)
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
