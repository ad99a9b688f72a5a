using System.CommandLine;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// <c>edgeguard walktest --simulate</c> as a technician runs it, driven like <c>edgeguard sim …</c> through the
/// control socket: the native GPIO, expander and end-of-line paths of the gateway, its filters, the live
/// lines, the report and the exit code. Waits are bounded; nothing is timed.
/// </summary>
public sealed partial class WalkTestVerbTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-walk-").FullName;
    private readonly StringWriter _output = new();
    private readonly TextWriter _screen;

    public WalkTestVerbTests() => _screen = TextWriter.Synchronized(_output);

    private string Socket => Path.Combine(_dir, "sim.sock");

    /// <summary>The journal's volatile fallback directory in the configs of <see cref="WriteConfig"/>.</summary>
    private string Fallback => Path.Combine(_dir, "run");

    private string Screen
    {
        get
        {
            lock (_screen)
            {
                return _output.ToString();
            }
        }
    }

    public void Dispose()
    {
        _screen.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Each_point_is_shown_as_it_is_seen_and_the_report_names_the_one_never_triggered()
    {
        // The I/O-board sample: native lines, MCP23017 pins and MCP3008 end-of-line loops.
        var config = AnnexConfig();
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, "--config", config);
        await using var sim = await ConnectAsync(walk);

        // Each point rest, alarm, rest.
        await SimAsync(sim, "press panic-guardroom", "seen panic-guardroom");   // native GPIO, leading edge
        await SimAsync(sim, "release panic-guardroom", "seen panic-guardroom", occurrence: 2);
        await SimAsync(sim, "open door-annex", "seen door-annex");              // expander pin, debounced
        await SimAsync(sim, "close door-annex", "seen door-annex", occurrence: 2);
        await SimAsync(sim, "loop fence-east alarm", "seen fence-east");        // double EOL loop
        await SimAsync(sim, "loop fence-east normal", "seen fence-east", occurrence: 2);
        await SimAsync(sim, "loop fence-west open", "seen fence-west");         // single EOL in series: a cut reads as the alarm
        await SimAsync(sim, "loop fence-west short", "fault fence-west: loop short");
        await SimAsync(sim, "loop fence-west normal", "seen fence-west", occurrence: 2);
        await SimAsync(sim, "press panic-annex", "seen panic-annex");
        await SimAsync(sim, "release panic-annex", "seen panic-annex", occurrence: 2);
        stop.Cancel();                                                          // Ctrl+C; key-guardroom never turned

        var code = await walk.WaitAsync(Patience);
        var screen = Screen;
        Assert.Equal(ExitCodes.WalkTestIncomplete, code);
        Assert.Contains("Outputs stay at their boot state", screen);
        Assert.Matches(@"seen panic-guardroom +PanicButton, zone guardroom \(Guard room\), line 24: ACTIVE, raw high, 1 raw edge", screen);
        Assert.Matches(@"seen door-annex +DoorContact, zone annex \(Annex\), mcp23017@0x20:A1: ACTIVE, raw high", screen);
        Assert.Matches(@"seen door-annex .*: restored, raw low", screen);
        Assert.Matches(@"seen fence-east .*mcp3008@0\.0:CH0: ACTIVE, raw high, eol alarm \d+", screen);
        Assert.Matches(@"seen fence-west .*: ACTIVE, raw high, eol alarm \d+", screen);
        Assert.Matches(@"fault fence-west: loop short, reading \d+ \(fault\.eol-tamper\)", screen);

        var report = screen[screen.IndexOf("Walk test report (stopped): 5 of 6 points seen.", StringComparison.Ordinal)..];
        Assert.Matches(@"NOT SEEN  key-guardroom +Keyswitch, zone guardroom", report);
        Assert.Matches(@"seen      door-annex .*: activated 1x, restored 1x", report);
        Assert.Matches(@"seen      fence-west .*: activated 1x, restored \dx, loop short 1x", report);
        Assert.Single(report.Split('\n'), l => l.Contains("NOT SEEN", StringComparison.Ordinal));
        Assert.Contains("FAILED: 1 point was never seen: key-guardroom; loop tamper (cut or bridged) during the test: fence-west", report);
        Assert.Matches(@"TAMPER    fence-west .*: loop short 1x", report);
        // Nothing was journaled (no database was even created) and no broker was started: the state directory
        // holds only the gateway lock the walk test took (and its pid note).
        Assert.Equal([GatewayLock.FileName, GatewayLock.PidFileName], Directory.GetFiles(Path.Combine(_dir, "state")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("WARNING: while the walk test runs this site is NOT PROTECTED", screen);
        Assert.Contains("a fire input seen active releases the egress locks (and drives the rest of the fire plan, such as strobes)", screen);
        Assert.Contains("exit buttons do NOT release their doors", screen);
    }

    [Fact]
    public async Task It_ends_by_itself_with_exit_0_once_every_point_was_seen()
    {
        var walk = StartAsync(CancellationToken.None, "--config", WriteConfig(HallPoints));
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2);
        await SimAsync(sim, "press panic-hall", "seen panic-hall");
        await SimAsync(sim, "release panic-hall", "seen panic-hall", occurrence: 2);
        await SimAsync(sim, "press key-hall", "seen key-hall");
        await SimAsync(sim, "release key-hall", "seen key-hall", occurrence: 2);

        Assert.Equal(ExitCodes.Ok, await walk.WaitAsync(Patience));
        Assert.Contains("Walk test report (every point seen): 3 of 3 points seen.", Screen);
        Assert.Contains("PASSED: every point was seen.", Screen);
        Assert.DoesNotContain("NOT SEEN", Screen);
    }

    [Fact]
    public async Task A_duration_ends_it_and_a_point_that_only_bounced_inside_its_debounce_is_not_seen()
    {
        var config = WriteConfig(HallPoints);
        var walk = StartAsync(CancellationToken.None, "--config", config, "--duration", "2s");
        await using var sim = await ConnectAsync(walk);

        // The door contact's 25 ms filter: a bounce shorter than that is no change at all.
        Assert.StartsWith("ok", await sim.SendAsync("pulse door-hall 3", CancellationToken.None));

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Contains("Walk test report (duration over): 0 of 3 points seen.", Screen);
        Assert.Contains("FAILED: 3 points were never seen: door-hall, panic-hall, key-hall", Screen);
    }

    [Fact]
    public async Task A_bad_duration_is_refused()
    {
        var code = await EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", WriteConfig(HallPoints), "--duration", "soon"])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen });

        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("bad duration 'soon'", Screen);
    }

    [Fact]
    public async Task A_supervised_loop_is_seen_only_on_its_alarm_band_and_any_tamper_fails_the_test()
    {
        var walk = StartAsync(CancellationToken.None, "--config", WriteConfig(DoorAndLoop));
        await using var sim = await ConnectAsync(walk);

        // Cut: the loop reads active (a perimeter fails towards alarm), but that proves only that the cable moved.
        await SimAsync(sim, "loop fence open", "tamper fence");
        await SimAsync(sim, "loop fence normal", "tamper fence", occurrence: 2);
        Assert.DoesNotContain("seen fence", Screen);
        Assert.Contains("[0/2 seen]", Screen);
        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2);
        await SimAsync(sim, "loop fence alarm", "seen fence");
        await SimAsync(sim, "loop fence normal", "seen fence", occurrence: 2);

        // Every point seen ends the test, but the cut loop fails it (the defect counted the cut as seen).
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Contains("Walk test report (every point seen): 2 of 2 points seen.", report);
        Assert.Matches(@"TAMPER    fence .*: loop open 1x; check the cable and its end-of-line resistors", report);
        Assert.Contains("FAILED: loop tamper (cut or bridged) during the test: fence", report);
    }

    [Fact]
    public async Task A_loop_that_only_read_tamper_is_not_seen()
    {
        var walk = StartAsync(CancellationToken.None, "--config", WriteConfig(DoorAndLoop), "--duration", "3s");
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "loop fence short", "fault fence: loop short");
        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2);

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Matches(@"NOT SEEN  fence .*: changed only on tamper readings, its alarm band was never read", Screen);
        Assert.Contains("FAILED: 1 point was never seen: fence; loop tamper (cut or bridged) during the test: fence", Screen);
    }

    [Fact]
    public async Task It_refuses_to_start_while_the_gateway_holds_the_lock()
    {
        var config = WriteConfig(HallPoints);
        using (GatewayLock.Acquire(Path.Combine(_dir, "state")))
        {
            var code = await StartAsync(CancellationToken.None, "--config", config).WaitAsync(Patience);

            Assert.Equal(ExitCodes.Failure, code);
            Assert.Contains($"cannot walk-test: the gateway is running (pid {Environment.ProcessId}); stop it first: systemctl stop edgeguard", Screen);
            Assert.False(File.Exists(Socket)); // refused before any line or socket was opened
            Assert.DoesNotContain("WARNING", Screen);
            Assert.DoesNotContain("GATEWAY STOPPED", Screen); // it is running
        }
    }

    [Fact]
    public async Task It_refuses_when_the_state_directory_is_missing_rather_than_assume_no_lockdown()
    {
        var config = WriteConfig(HallPoints);
        Directory.Delete(Path.Combine(_dir, "state"));

        Assert.Equal(ExitCodes.Failure, await StartAsync(CancellationToken.None, "--config", config).WaitAsync(Patience));
        Assert.Contains($"the state directory {Path.Combine(_dir, "state")} does not exist", Screen);
        Assert.Contains("whether the site was left in lockdown cannot be checked", Screen);
    }

    [Fact]
    public async Task It_opens_the_journal_read_only_and_refuses_another_schema_version()
    {
        var config = WriteConfig(HallPoints);
        var file = Path.Combine(_dir, "state", JournalDatabase.FileName);
        JournalDatabase.Open(file).Dispose();
        var older = JournalDatabase.SchemaVersion - 1;
        UserVersion(file, older);

        Assert.Equal(ExitCodes.Failure, await StartAsync(CancellationToken.None, "--config", config).WaitAsync(Patience));
        Assert.Contains($"has schema version {older}, older than this build's", Screen);
        Assert.Equal(older, UserVersion(file)); // the defect: opened read-write, it migrated the gateway's file
    }

    [Fact]
    public async Task Run_as_another_user_than_the_state_directorys_it_refuses_before_creating_the_lock()
    {
        // A gateway that never ran has no lock file yet: created as root, the gateway's user could
        // not open it and the gateway would not start.
        var config = WriteConfig(HallPoints);
        var state = Path.Combine(_dir, "state");
        GatewayFilesUser.EffectiveUserForTests.Value = GatewayFilesUser.OwnerOf(state)!.Value + 1;

        Assert.Equal(ExitCodes.Failure, await StartAsync(CancellationToken.None, "--config", config).WaitAsync(Patience));
        Assert.Contains($"cannot walk-test: {state} belongs to ", Screen);
        Assert.Contains("Run as the gateway's user: sudo -u ", Screen);
        Assert.Contains($"{GatewayFilesUser.ShellQuote(Environment.ProcessPath!)} ", Screen, StringComparison.Ordinal);
        Assert.Contains($" walktest --simulate --config {GatewayFilesUser.ShellQuote(config)}", Screen, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(state));
        Assert.False(File.Exists(Socket));
        Assert.DoesNotContain("GATEWAY STOPPED", Screen); // it never took the gateway's lock
    }

    private static long UserVersion(string file, long? set = null)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = set is { } v ? $"PRAGMA user_version={v};" : "PRAGMA user_version;";
        return set is null ? (long)command.ExecuteScalar()! : command.ExecuteNonQuery();
    }

    private const string DoorAndLoop = """
        { "EdgeGuard": { "site": "walk-site", "gateway": "gw-walk",
          "adcs": [ { "id": "mcp3008@0.0", "pollMs": 20 } ],
          "zones": [ { "id": "hall", "name": "Entrance hall" } ],
          "points": [
            { "id": "door-hall", "kind": "doorContact", "line": 17, "activeLevel": "high", "pull": "up", "zone": "hall" },
            { "id": "fence", "kind": "perimeter", "line": "mcp3008@0.0:CH0", "zone": "hall",
              "eol": { "wiring": "doubleEol", "shortMax": 341, "normalMax": 599, "alarmMax": 818 } } ],
          "outputs": [ { "id": "siren", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "hall" } ] } }
        """;

    // How each hall site's config begins: its one zone, the hall, and the hall door's contact as its
    // first point. The site goes on with its other points, then its outputs.
    private const string HallSite = """
        { "EdgeGuard": { "site": "walk-site", "gateway": "gw-walk",
          "zones": [ { "id": "hall", "name": "Entrance hall" } ],
          "points": [
            { "id": "door-hall", "kind": "doorContact", "line": 17, "activeLevel": "high", "pull": "up", "zone": "hall" },
        """;

    // No exit button is wired to this gateway: the hall's push-to-exit cuts the maglock's power
    // itself, hence hardwiredExit (an egress lock needs a way out a lockdown cannot lock). The
    // panic button starts a lockdown, so the site has a keyswitch that clears it on site.
    private const string HallPoints = $$"""
        {{HallSite}}
            { "id": "panic-hall", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "hall" },
            { "id": "key-hall", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "hall" } ],
          "outputs": [ { "id": "lock-hall", "kind": "lock", "line": 12, "activeLevel": "high", "zone": "hall", "failMode": "failSafe", "egress": true, "hardwiredExit": true } ],
          "lockdown": { "clearKeyswitches": [ "key-hall" ] } } }
        """;

    /// <summary>The config with its state and control socket moved into this test's directory (which exists: a gateway ran there).</summary>
    private string WriteConfig(string json)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        var node = JsonNode.Parse(json)!;
        node["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir, "state");
        node["EdgeGuard"]!["simulation"] = new JsonObject { ["controlSocket"] = Socket };
        // Not the machine's /run/edgeguard, which the walk test creates and locks when it can.
        node["EdgeGuard"]!["journal"] = new JsonObject { ["fallbackDirectory"] = Fallback };
        var path = Path.Combine(_dir, "walk.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }

    private Task<int> StartAsync(CancellationToken stop, params string[] args) =>
        Task.Run(() => EdgeGuardCli.Create().Parse(["walktest", "--simulate", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen }, stop));

    private async Task<SimulatorClient> ConnectAsync(Task<int> walk)
    {
        await Eventually.TrueAsync(() => File.Exists(Socket) || walk.IsCompleted, Patience, "the walk test's control socket");
        Assert.False(walk.IsCompleted, $"walktest ended early:\n{Screen}");
        return await SimulatorClient.ConnectAsync(Socket, CancellationToken.None);
    }

    /// <summary>Sends a simulator line and waits until the walk test printed <paramref name="expected"/> (the nth time).</summary>
    private async Task SimAsync(SimulatorClient sim, string line, string expected, int occurrence = 1)
    {
        Assert.StartsWith("ok", await sim.SendAsync(line, CancellationToken.None));
        await Eventually.TrueAsync(() => Count(Screen, expected) >= occurrence, Patience, $"'{expected}' after '{line}':\n{Screen}");
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
