using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgeGuard.Simulation;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Bench.Soak;

/// <summary>
/// The real <c>edgeguard run --simulate</c> as a child process: the executable built with this
/// harness (edgeguard.dll beside it), the shipped appsettings.json, and only what a soak must
/// change set through environment overrides (<c>EdgeGuard__…</c>, as an operator would): a temp
/// state directory, the control socket there, the harness's Mosquitto, the journal's limit, log
/// level Warning (one line per event would make the log itself the thing that grows), and
/// extra door contacts on free lines of the simulated chip for the harness to open and close.
/// Its output goes to a log file, never into this process's memory.
/// </summary>
internal sealed class GatewayChild : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayChild(Process process, string stateDirectory, string logFile, IReadOnlyList<string> doors)
    {
        _process = process;
        StateDirectory = stateDirectory;
        LogFile = logFile;
        Doors = doors;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StateDirectory { get; }

    public string LogFile { get; }

    public string ControlSocket => Path.Combine(StateDirectory, "sim.sock");

    public string DatabasePath => Path.Combine(StateDirectory, "edgeguard.db");

    /// <summary>The soak's door contacts, added to the shipped site.</summary>
    public IReadOnlyList<string> Doors { get; }

    /// <summary>The MQTT topic root from the shipped config's site and gateway.</summary>
    public string Root { get; private init; } = string.Empty;

    /// <summary>The shipped config's MQTT topic root, for an office that subscribes before the gateway starts.</summary>
    public static async Task<string> ShippedRootAsync()
    {
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!["EdgeGuard"]!;
        return $"edgeguard/v1/{shipped["site"]!.GetValue<string>()}/{shipped["gateway"]!.GetValue<string>()}";
    }

    /// <summary>Starts the gateway; returns once its simulator socket is up (it is booted then).</summary>
    /// <param name="logFile">Where its stdout and stderr go (a log that grows is a finding too).</param>
    /// <param name="executable">An edgeguard executable to run (a Native AOT publish); null for the JIT build beside the harness.</param>
    public static async Task<GatewayChild> StartAsync(string workDirectory, string logFile, int brokerPort, int doors, int journalMaxRecords, string? executable = null)
    {
        var settings = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(settings))!["EdgeGuard"]!;
        var points = shipped["points"]!.AsArray();
        var used = points.Concat(shipped["outputs"]!.AsArray()).Select(p => p!["line"]!.GetValue<int>()).ToHashSet();
        // The simulated chip has 64 lines (SimulatedGpioDriver.DefaultLineCount).
        var free = Enumerable.Range(0, 64).Where(l => !used.Contains(l)).ToList();
        if (doors > free.Count)
        {
            throw new ArgumentException($"{doors} soak doors do not fit on the {free.Count} free lines of the simulated chip: lower --rate");
        }

        var stateDirectory = Directory.CreateDirectory(Path.Combine(workDirectory, "state")).FullName;
        var start = new ProcessStartInfo(executable ?? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (executable is null)
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgeguard.dll"));
        }

        foreach (var argument in new[] { "run", "--simulate", "--config", settings })
        {
            start.ArgumentList.Add(argument);
        }

        var env = start.Environment;
        env["EdgeGuard__stateDirectory"] = stateDirectory;
        env["EdgeGuard__simulation__controlSocket"] = Path.Combine(stateDirectory, "sim.sock");
        env["EdgeGuard__mqtt__host"] = "127.0.0.1";
        env["EdgeGuard__mqtt__port"] = brokerPort.ToString(CultureInfo.InvariantCulture);
        env["EdgeGuard__journal__maxRecords"] = journalMaxRecords.ToString(CultureInfo.InvariantCulture);
        env["Logging__LogLevel__Default"] = "Warning";
        var zone = shipped["zones"]![0]!["id"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 0; i < doors; i++)
        {
            var key = $"EdgeGuard__points__{points.Count + i}__";
            ids.Add($"soak-door-{i:D2}");
            // The shipped door contact's wiring and debounce (25 ms), on a line of its own.
            env[key + "id"] = ids[^1];
            env[key + "kind"] = "doorContact";
            env[key + "line"] = free[i].ToString(CultureInfo.InvariantCulture);
            env[key + "activeLevel"] = "high";
            env[key + "pull"] = "up";
            env[key + "debounceMs"] = "25";
            env[key + "zone"] = zone;
        }

        var log = new StreamWriter(logFile) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start edgeguard");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new GatewayChild(process, stateDirectory, logFile, ids) { Root = await ShippedRootAsync() };
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(gateway.ControlSocket))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                throw new InvalidOperationException($"edgeguard did not come up (see {logFile})");
            }

            await Task.Delay(50);
        }

        return gateway;
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a process that exited while they were read.
            }
        }
    }

    /// <summary>A connection to the simulator's control socket (one per driving task).</summary>
    public Task<SimulatorClient> ControlAsync() => SimulatorClient.ConnectAsync(ControlSocket, CancellationToken.None);

    /// <summary>The journal's highest seq and the highest seq the broker acknowledged, read from the file.</summary>
    public (long LastSeq, long DeliveredThrough) Journal()
    {
        var text = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = new SqliteConnection(text);
        connection.Open();
        using var command = connection.CreateCommand();
        // gateway_meta.last_seq keeps counting when retention has emptied the events table.
        command.CommandText = "SELECT (SELECT last_seq FROM gateway_meta), (SELECT delivered_through FROM outbox)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Stops the gateway as systemd would (SIGTERM); returns its exit code, or null if it had to be killed.</summary>
    public async Task<int?> StopAsync()
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!)
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await StopAsync();
        }

        _process.Dispose();
    }
}
