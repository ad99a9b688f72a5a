using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EdgeGuard.Simulation;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The shipped <c>edgeguard</c> executable as a child process (<c>run --simulate</c>) against a test
/// broker: the only way to test what a power cut or SIGKILL does to a real process.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, string stateDirectory)
    {
        _process = process;
        StateDirectory = stateDirectory;
    }

    public string StateDirectory { get; }

    /// <summary>The exit code once <see cref="DisposeAsync"/> stopped the process (null if it had to be killed).</summary>
    public int? ExitCode { get; private set; }

    public string ControlSocket => Path.Combine(StateDirectory, "sim.sock");

    public string DatabasePath => Path.Combine(StateDirectory, "edgeguard.db");

    /// <summary>Everything the process wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Writes a config (the shipped appsettings.json with <paramref name="edit"/> applied and the
    /// state, socket and broker moved to test-owned places) and starts the executable on it.
    /// </summary>
    /// <param name="stateDirectory">Where the config, database and control socket go.</param>
    /// <param name="brokerPort">The test broker on loopback.</param>
    /// <param name="edit">Changes to the shipped config.</param>
    /// <param name="environment">Extra environment variables for the child (e.g. systemd's NOTIFY_SOCKET).</param>
    public static async Task<GatewayProcess> StartAsync(string stateDirectory, int brokerPort, Action<JsonNode>? edit = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        var edgeGuard = config["EdgeGuard"]!;
        edgeGuard["stateDirectory"] = stateDirectory;
        edgeGuard["simulation"]!["controlSocket"] = Path.Combine(stateDirectory, "sim.sock");
        edgeGuard["mqtt"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = brokerPort, ["keepAliveSeconds"] = 2 };
        // One log line per domain event would swamp the pipe in a burst; warnings are enough here.
        config["Logging"]!["LogLevel"]!["Default"] = "Warning";
        edit?.Invoke(config);
        var configPath = Path.Combine(stateDirectory, "gateway.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "edgeguard.dll"), "run", "--simulate", "--config", configPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start edgeguard");
        var gateway = new GatewayProcess(process, stateDirectory);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.TrueAsync(() => File.Exists(gateway.ControlSocket) || process.HasExited, TimeSpan.FromSeconds(30), "the simulator socket");
        return process.HasExited
            ? throw new InvalidOperationException($"edgeguard exited with {process.ExitCode}:\n{gateway.Output}")
            : gateway;
    }

    /// <summary>Sends one simulator command over the control socket, as <c>edgeguard sim</c> does.</summary>
    public async Task<string> SimAsync(string line)
    {
        await using var client = await SimulatorClient.ConnectAsync(ControlSocket, CancellationToken.None);
        return await client.SendAsync(line, CancellationToken.None);
    }

    /// <summary>A power cut as far as the process can tell: SIGKILL, no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>Every journaled event's seq, id and type, read straight from the SQLite file.</summary>
    public IReadOnlyList<(long Seq, string Id, string Type)> JournaledEvents() =>
        [.. JournalFile.Events(DatabasePath).Select(e => (e.Seq, e.Id, e.Type))];

    /// <summary>The highest seq the gateway recorded as acknowledged by the broker.</summary>
    public long DeliveredThrough()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT delivered_through FROM outbox";
        return (long)command.ExecuteScalar()!;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Stops the process the way systemd would (SIGTERM), then waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
                ExitCode = _process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
            }
        }

        _process.Dispose();
    }
}
