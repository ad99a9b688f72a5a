using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeGuard.Testing;

/// <summary>
/// A real Mosquitto process on 127.0.0.1 and a free port, with its config, persistence and log in a
/// temp directory. Stop and start it again on the same port to simulate a broker outage.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private readonly MosquittoSettings _settings;
    private readonly string _executable;
    private Process? _process;

    private MosquittoBroker(string executable, MosquittoSettings settings)
    {
        _executable = executable;
        _settings = settings;
        Directory = System.IO.Directory.CreateTempSubdirectory("edgeguard-mosquitto-").FullName;
        Port = FreePort();
        ConfigFile = Path.Combine(Directory, "mosquitto.conf");
        File.WriteAllText(ConfigFile, Config());
    }

    /// <summary>The broker's temp directory (config, persistence, log).</summary>
    public string Directory { get; }

    /// <summary>The loopback port, the same across restarts.</summary>
    public int Port { get; }

    /// <summary>The running Mosquitto's process id (it changes when the broker is started again).</summary>
    public int ProcessId => Running().Id;

    /// <summary>The written mosquitto.conf.</summary>
    public string ConfigFile { get; }

    /// <summary>The broker log so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            var path = Path.Combine(Directory, "mosquitto.log");
            return File.Exists(path) ? File.ReadAllText(path) : "(no log)";
        }
    }

    /// <summary>
    /// Waits until the broker has logged <paramref name="topics"/> subscriptions of <paramref name="clientId"/>
    /// (<c>log_type subscribe</c> writes "<c>time: client qos topic</c>" as it adds each one). Only with the
    /// configuration this class writes: a <see cref="MosquittoSettings.Config"/> of its own has no such lines.
    /// </summary>
    public Task WaitForSubscriptionAsync(string clientId, int topics, TimeSpan timeout) =>
        Eventually.TrueAsync(
            () => Log.Split('\n').Count(line => line.Contains($": {clientId} ", StringComparison.Ordinal)) >= topics,
            timeout,
            $"{topics} subscription(s) of {clientId} in the broker log");

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Writes the config and starts Mosquitto; returns once the port accepts connections.</summary>
    public static async Task<MosquittoBroker> StartAsync(MosquittoSettings? settings = null)
    {
        var broker = new MosquittoBroker(FindExecutable(), settings ?? new MosquittoSettings());
        try
        {
            await broker.StartAgainAsync();
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the broker (again) on the same port with the same persistence.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Mosquitto is already running.");
        }

        var start = new ProcessStartInfo(_executable)
        {
            ArgumentList = { "-c", ConfigFile },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilListeningAsync();
    }

    /// <summary>Stops the broker: SIGTERM (saves persistence) when graceful, SIGKILL otherwise.</summary>
    public async Task StopAsync(bool graceful = true)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        if (graceful)
        {
            await SignalAsync(process, "-TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }
        else
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
        _process = null;
    }

    /// <summary>Rewrites the ACL file and makes the running broker reload it (SIGHUP).</summary>
    public async Task ReloadAclAsync(string acl)
    {
        if (_settings.Acl is null || _process is not { HasExited: false } process)
        {
            throw new InvalidOperationException("Only a running broker started with an ACL can reload it.");
        }

        await File.WriteAllTextAsync(Path.Combine(Directory, "acl"), acl);
        await ReloadedAsync(process);
    }

    /// <summary>Rewrites the password file and makes the running broker reload it (SIGHUP).</summary>
    public async Task ReloadPasswordsAsync(IReadOnlyDictionary<string, string> passwords)
    {
        if (_settings.Passwords is null)
        {
            throw new InvalidOperationException("Only a broker started with passwords can reload them.");
        }

        WritePasswordFile(passwords);
        await ReloadedAsync(Running());
    }

    // mosquitto_passwd hashes them, as an office would provision its broker.
    private string WritePasswordFile(IReadOnlyDictionary<string, string> passwords)
    {
        var file = Path.Combine(Directory, "passwd");
        File.WriteAllText(file, string.Empty);
        foreach (var (user, password) in passwords)
        {
            using var process = Process.Start(new ProcessStartInfo("mosquitto_passwd") { ArgumentList = { "-b", file, user, password }, UseShellExecute = false, RedirectStandardError = true })!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"mosquitto_passwd failed for {user}: {error}");
            }
        }

        return file;
    }

    /// <summary>
    /// Freezes the running broker (SIGSTOP): connections stay open and what clients send waits in
    /// the sockets, unanswered, until <see cref="ResumeAsync"/>.
    /// </summary>
    public Task PauseAsync() => SignalAsync(Running(), "-STOP");

    /// <summary>Lets a paused broker run again (SIGCONT); it then handles what waited in its sockets, in order.</summary>
    public Task ResumeAsync() => SignalAsync(Running(), "-CONT");

    /// <summary>Makes the running broker re-read its config, ACL and CRL (SIGHUP), as <c>systemctl reload</c> does.</summary>
    public async Task ReloadAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException("Only a running broker can reload.");
        }

        await ReloadedAsync(process);
    }

    private Process Running() => _process is { HasExited: false } process
        ? process
        : throw new InvalidOperationException("The broker is not running.");

    // Mosquitto reloads between two passes of its event loop and logs this line first, then
    // reloads in the same pass; anything it reads from a socket after the line is judged by the
    // new files. Without waiting for it, a test's next PUBLISH could reach the broker in the pass
    // before the reload and meet the old ACL or passwords.
    private const string ReloadLine = "Reloading config.";

    private async Task ReloadedAsync(Process process)
    {
        var before = ReloadLines();
        await SignalAsync(process, "-HUP");
        await Eventually.TrueAsync(() => ReloadLines() > before, TimeSpan.FromSeconds(10), "the broker's \"" + ReloadLine + "\" line after SIGHUP");
    }

    private int ReloadLines() => Log.Split('\n').Count(line => line.EndsWith(ReloadLine, StringComparison.Ordinal));

    private static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
            _process = null;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is not a test failure.
        }
    }

    private string Config()
    {
        if (_settings.Config is { } custom)
        {
            return custom(Port, Directory);
        }

        var text = new StringBuilder()
            .AppendLine("per_listener_settings false")
            .AppendLine("persistence true")
            .AppendLine($"persistence_location {Directory}/")
            .AppendLine("persistence_file mosquitto.db")
            // Queued QoS 1 messages for a persistent subscriber must never be dropped in these tests
            // (default 1000 per client, overflow dropped silently). 0 means "no limit", but Mosquitto
            // 2.0.11 then drops the connection of a client right after refusing it a publish (PUBACK
            // 135 followed by "Bad socket read/write"), so a large finite limit is used instead.
            .AppendLine("max_queued_messages 1000000")
            .AppendLine("set_tcp_nodelay true")
            .AppendLine($"log_dest file {Directory}/mosquitto.log")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            .AppendLine("log_type information")
            .AppendLine("log_type subscribe")
            .AppendLine("log_timestamp_format %H:%M:%S")
            // Running as root, Mosquitto would switch to the 'mosquitto' user and lose the temp dir.
            .AppendLine($"user {Environment.UserName}")
            .AppendLine($"listener {Port} 127.0.0.1");
        if (_settings.CaFile is not null && _settings.Passwords is not null)
        {
            throw new InvalidOperationException("A test broker takes client certificates or passwords, not both.");
        }

        if (_settings.CaFile is { } ca)
        {
            text.AppendLine($"cafile {ca}")
                .AppendLine($"certfile {_settings.CertFile}")
                .AppendLine($"keyfile {_settings.KeyFile}")
                .AppendLine("require_certificate true")
                .AppendLine("use_identity_as_username true")
                .AppendLine("allow_anonymous false");
        }
        else if (_settings.Passwords is { } passwords)
        {
            text.AppendLine("allow_anonymous false")
                .AppendLine($"password_file {WritePasswordFile(passwords)}");
        }
        else
        {
            text.AppendLine("allow_anonymous true");
        }

        if (_settings.MessageSizeLimit is { } limit)
        {
            text.AppendLine($"message_size_limit {limit}");
        }

        if (_settings.MaxPacketSize is { } maxPacket)
        {
            text.AppendLine($"max_packet_size {maxPacket}");
        }

        if (_settings.MaxInflightMessages is { } inflight)
        {
            text.AppendLine($"max_inflight_messages {inflight}");
        }

        if (_settings.MaxQos is { } maxQos)
        {
            text.AppendLine($"max_qos {maxQos}");
        }

        if (_settings.Acl is { } acl)
        {
            var aclFile = Path.Combine(Directory, "acl");
            File.WriteAllText(aclFile, acl);
            text.AppendLine($"acl_file {aclFile}");
        }

        return text.ToString();
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (_process is not { HasExited: false })
            {
                throw new InvalidOperationException($"mosquitto exited during start-up. Config:\n{File.ReadAllText(ConfigFile)}\nLog:\n{Log}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    private static string FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var candidates = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, "mosquitto"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "The tests need a real Mosquitto broker, and 'mosquitto' is not installed (looked on PATH and in /usr/sbin). " +
                "Run ./test.sh, which installs mosquitto and mosquitto-clients from Debian's packages, or 'sudo apt-get install mosquitto mosquitto-clients'.");
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
