using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting.Systemd;

/// <summary>
/// Sends <c>sd_notify</c> datagrams (<c>READY=1</c>, <c>STATUS=…</c>, <c>WATCHDOG=1</c>,
/// <c>STOPPING=1</c>) to the Unix datagram socket systemd names in <c>$NOTIFY_SOCKET</c>, including
/// abstract-namespace sockets (<c>@name</c>). Without the variable every call is a no-op, so the same
/// binary runs under systemd, in a terminal and in tests.
/// </summary>
/// <remarks>
/// Written here rather than taken from Microsoft.Extensions.Hosting.Systemd: its notifier reads the
/// process environment (tests in parallel could not each have their own socket) and is only created
/// when the parent process is systemd, and its lifetime knows READY and STOPPING but not the watchdog.
/// </remarks>
public sealed class SystemdNotifier : IDisposable
{
    /// <summary>The environment variable with the notification socket's path.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Socket? _socket;
    private readonly Lock _gate = new();

    /// <summary>Creates a notifier for a socket path (<c>@name</c> = abstract namespace), or a no-op one for null or empty.</summary>
    /// <param name="socketPath">The value of <c>$NOTIFY_SOCKET</c>.</param>
    /// <param name="log">Told once when the socket is unusable (the notifier is then disabled).</param>
    /// <remarks>
    /// Never throws: a socket path the kernel cannot take (longer than 107 bytes) or a socket that cannot be
    /// created disables notifications — systemd will then restart a Type=notify unit that never says READY,
    /// which is logged here — but must not stop the gateway from protecting the site.
    /// </remarks>
    public SystemdNotifier(string? socketPath, ILogger? log = null)
    {
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }

        try
        {
            // systemd writes an abstract socket's leading NUL as '@'; the kernel wants the NUL.
            _endpoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? string.Concat("\0", socketPath.AsSpan(1)) : socketPath);
            // Non-blocking: a full socket buffer (systemd busy or gone) drops the datagram instead of stalling the
            // caller, which may be the host's StopAsync.
            _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
        }
        catch (Exception ex) when (ex is ArgumentException or SocketException or PlatformNotSupportedException)
        {
            (_endpoint, _socket) = (null, null);
            DisabledReason = ex.Message;
            log?.LogError("systemd notifications disabled: {Variable}={Path} cannot be used ({Reason})", SocketVariable, socketPath, ex.Message);
        }
    }

    /// <summary>Why notifications are off although <c>$NOTIFY_SOCKET</c> was set, or null.</summary>
    public string? DisabledReason { get; }

    /// <summary>True when systemd asked for notifications.</summary>
    public bool IsEnabled => _socket is not null;

    /// <summary>Creates the notifier from an environment (the process's, or a test's).</summary>
    public static SystemdNotifier FromEnvironment(Func<string, string?> environment, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new SystemdNotifier(environment(SocketVariable), log);
    }

    /// <summary>
    /// The watchdog ping interval: half of <c>$WATCHDOG_USEC</c>, as sd_watchdog_enabled(3) advises, or
    /// null when systemd wants no pings from this process (no watchdog, or <c>$WATCHDOG_PID</c> names another).
    /// </summary>
    public static TimeSpan? WatchdogInterval(Func<string, string?> environment, int processId)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!ulong.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec == 0)
        {
            return null;
        }

        if (environment("WATCHDOG_PID") is { Length: > 0 } pid
            && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var watched) || watched != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2);
    }

    /// <summary>
    /// Sends one notification (several assignments may be joined with newlines). Returns false when
    /// disabled or when the datagram could not be sent at once (the send never waits: the socket is
    /// non-blocking); never throws, since a gateway must keep protecting the site when the service
    /// manager has gone away.
    /// </summary>
    public bool Notify(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_socket is null)
        {
            return false;
        }

        var datagram = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            try
            {
                return _socket.SendTo(datagram, SocketFlags.None, _endpoint!) == datagram.Length;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
        }
    }
}
