using System.Net;
using System.Net.Sockets;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// A loopback relay to the broker whose first <c>cuts</c> connections pass the client's first
/// packet (CONNECT) and the broker's first (CONNACK) and nothing after; at that CONNACK it runs
/// <c>onConnack</c> (a broker crash, say). Later connections are relayed whole. A first
/// connection lost right after its CONNACK, before the birth could land.
/// </summary>
internal sealed class CutAfterConnackProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<TcpClient> _sockets = [];
    private readonly Func<Task>? _onConnack;
    private int _cuts;

    public CutAfterConnackProxy(int target, int cuts, Func<Task>? onConnack = null)
    {
        _target = target;
        _onConnack = onConnack;
        _cuts = cuts;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue; // the broker is down: the client's connect fails, as it would
            }

            lock (_sockets)
            {
                _sockets.Add(inbound);
                _sockets.Add(outbound);
            }

            var cut = Interlocked.Decrement(ref _cuts) >= 0;
            var reads = cut ? 1 : int.MaxValue;
            _ = Task.Run(() => RelayAsync(inbound, outbound, reads, onFirst: null));
            _ = Task.Run(() => RelayAsync(outbound, inbound, reads, cut ? _onConnack : null));
        }
    }

    // Passes the first `reads` reads from one side to the other and drops the rest.
    private static async Task RelayAsync(TcpClient from, TcpClient to, int reads, Func<Task>? onFirst)
    {
        var buffer = new byte[65536];
        try
        {
            for (var i = 0; ; i++)
            {
                var n = await from.GetStream().ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                if (i < reads)
                {
                    await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
                }

                if (onFirst is not null && i == 0)
                {
                    _ = Task.Run(onFirst);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Either side closed: close both below.
        }

        from.Close();
        to.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
