using System.Net.Sockets;
using System.Text;

namespace EdgeGuard.Testing;

/// <summary>
/// Plays systemd's side of <c>sd_notify</c>: a Unix datagram socket bound in a fresh temporary directory
/// (or in the abstract namespace), whose path goes into the gateway's <c>NOTIFY_SOCKET</c>.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _directory;

    private NotifySocket(string variable, string bindPath, string? directory)
    {
        Variable = variable;
        _directory = directory;
        _socket.Bind(new UnixDomainSocketEndPoint(bindPath));
    }

    /// <summary>The value for <c>NOTIFY_SOCKET</c>.</summary>
    public string Variable { get; }

    /// <summary>Bytes waiting to be received (0 when nothing was sent).</summary>
    public int Available => _socket.Available;

    /// <summary>A socket file in a new temporary directory.</summary>
    public static NotifySocket InTempDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("eg-notify-").FullName;
        var path = Path.Combine(directory, "notify.sock");
        return new NotifySocket(path, path, directory);
    }

    /// <summary>An abstract-namespace socket, written <c>@name</c> in the variable as systemd does.</summary>
    public static NotifySocket Abstract()
    {
        var name = $"edgeguard-test-{Guid.NewGuid():N}";
        return new NotifySocket("@" + name, "\0" + name, null);
    }

    /// <summary>Waits for the next datagram; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var count = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, count);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no sd_notify datagram within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Waits for a datagram containing <paramref name="assignment"/> (e.g. <c>STOPPING=1</c>), skipping others.</summary>
    public async Task<string> WaitForAsync(string assignment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var datagram = await ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (datagram.Split('\n').Contains(assignment))
            {
                return datagram;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _socket.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
