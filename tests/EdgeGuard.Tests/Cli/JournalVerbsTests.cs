using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// <c>edgeguard journal verify|export|tail</c> against a real journal file written by the gateway's
/// own journal, then tampered with as someone with the sqlite3 shell would.
/// </summary>
public sealed class JournalVerbsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("eg-journal-cli-").FullName;

    private string Db => Path.Combine(_dir, "state", JournalDatabase.FileName);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Verify_of_an_intact_journal_exits_0()
    {
        await Journal(30);

        var (code, output, _) = await Run("journal", "verify", "--db", Db);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("30 entries, seq 1..30", output, StringComparison.Ordinal);
        Assert.Contains("INTACT", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_reports_an_edited_a_deleted_and_two_swapped_rows_each_at_its_seq_and_exits_4()
    {
        await Journal(30);
        Sql("""
            UPDATE events SET data = '{"kind":"doorContact","active":false}' WHERE seq = 7;
            DELETE FROM events WHERE seq = 15;
            UPDATE events SET seq = 1000000 WHERE seq = 22; UPDATE events SET seq = 22 WHERE seq = 23; UPDATE events SET seq = 23 WHERE seq = 1000000;
            """);

        var (code, output, _) = await Run("journal", "verify", "--db", Db);

        Assert.Equal(ExitCodes.JournalTampered, code);
        Assert.Contains("TAMPERED", output, StringComparison.Ordinal);
        Assert.Contains("seq 7: hash mismatch", output, StringComparison.Ordinal);
        Assert.Contains("seq 15 missing between seq 14 and seq 16: deleted", output, StringComparison.Ordinal);
        Assert.Contains("seq 22 holds the entry written as seq 23", output, StringComparison.Ordinal);
        Assert.Contains("seq 23 holds the entry written as seq 22", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_catches_newest_rows_cut_with_gateway_meta_only_given_the_offices_last_seq()
    {
        await Journal(30);
        Sql("DELETE FROM events WHERE seq > 25; UPDATE gateway_meta SET last_seq = 25, chain_head = (SELECT hash FROM events WHERE seq = 25);");

        Assert.Equal(ExitCodes.Ok, (await Run("journal", "verify", "--db", Db)).Code);
        var (code, output, _) = await Run("journal", "verify", "--db", Db, "--office-last-seq", "30");

        Assert.Equal(ExitCodes.JournalTampered, code);
        Assert.Contains("seq 26..30 (5 entries) missing at the end", output, StringComparison.Ordinal);
    }

    // Provisioning asks the release it is about to switch to (deploy/provision-state.sh): exit 2
    // is a journal a newer release migrated, which that release's gateway refuses at start.
    [Fact]
    public async Task Verify_schema_only_exits_0_for_this_builds_journal_and_2_for_a_newer_schema()
    {
        await Journal(3);

        var (code, output, _) = await Run("journal", "verify", "--schema-only", "--db", Db);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains(Inv($"schema version {JournalFileSchema.SupportedVersion} (this build's)"), output, StringComparison.Ordinal);

        Sql("PRAGMA user_version = 9999;");
        var (newer, _, error) = await Run("journal", "verify", "--schema-only", "--db", Db);

        Assert.Equal(ExitCodes.InvalidConfig, newer);
        Assert.Contains(Inv($"schema version 9999, newer than the {JournalFileSchema.SupportedVersion} this build understands"), error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_one_JSON_object_per_entry_with_the_MQTT_field_names_and_the_hashes()
    {
        await Journal(30);
        Sql("UPDATE events SET data = 'not json' WHERE seq = 29;");
        Sql("UPDATE events SET data = '{\"a\":' || char(10) || '1}' WHERE seq = 28;"); // JSON with a line break: one line still

        var (code, output, _) = await Run("journal", "export", "--db", Db, "--from", "25");

        Assert.Equal(ExitCodes.Ok, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.Equal([25L, 26, 27, 28, 29, 30], lines.Select(l => (long)l["seq"]!));
        var first = lines[0];
        Assert.Equal(["id", "seq", "ts", "mono", "type", "point", "zone", "severity", "drill", "data", "prevHash", "hash"], first.Select(p => p.Key));
        Assert.Equal("point.activated", (string)first["type"]!);
        Assert.Equal("p25", (string)first["point"]!);
        Assert.False((bool)first["drill"]!);
        Assert.True((bool)first["data"]!["active"]!);
        Assert.Equal("2025-03-14T09:00:00.0250000Z", (string)first["ts"]!);
        Assert.Matches("^[0-9a-f]{64}$", (string)first["hash"]!);
        Assert.Equal((string)lines[0]["hash"]!, (string)lines[1]["prevHash"]!);
        Assert.Equal("not json", (string)lines[4]["data"]!);
        Assert.Equal(1, (int)lines[3]["data"]!["a"]!);
    }

    [Fact]
    public async Task Tail_prints_the_newest_entries_and_follows_new_ones_until_cancelled()
    {
        await Journal(30);

        var (code, output, _) = await Run("journal", "tail", "--db", Db, "-n", "3");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal([28L, 29, 30], Seqs(output));

        using var cancel = new CancellationTokenSource();
        var followed = new LockedWriter();
        var tail = EdgeGuardCli.Create().Parse(["journal", "tail", "--db", Db, "-n", "1", "--follow"])
            .InvokeAsync(new InvocationConfiguration { Output = followed, Error = new StringWriter() }, cancel.Token);
        await Eventually.TrueAsync(() => Seqs(followed.ToString()).SequenceEqual([30L]), Patience, "tail printed seq 30");

        await Journal(2, startAt: 31);
        await Eventually.TrueAsync(() => Seqs(followed.ToString()).SequenceEqual([30L, 31, 32]), Patience, "tail --follow printed seq 31 and 32");
        await cancel.CancelAsync();
        Assert.Equal(ExitCodes.Ok, await tail.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_follow_stalled_on_its_output_does_not_keep_the_gateway_from_resetting_its_WAL()
    {
        // Before, the follow loop read the new rows with a query held open while it wrote them: a
        // pager nobody scrolled kept SQLite's read lock, and the gateway's WAL grew with every commit.
        await Journal(30);
        using var release = new ManualResetEventSlim();
        var stalled = new StallingWriter(release);
        using var cancel = new CancellationTokenSource();
        var tail = EdgeGuardCli.Create().Parse(["journal", "tail", "--db", Db, "-n", "1", "--follow"])
            .InvokeAsync(new InvocationConfiguration { Output = stalled, Error = new StringWriter() }, cancel.Token);
        await Eventually.TrueAsync(() => stalled.Lines == 1, Patience, "tail printed seq 30");

        await Journal(2, startAt: 31);
        await Eventually.TrueAsync(() => stalled.Blocked, Patience, "the follow loop stalled on its output");

        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Db, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using var result = command.ExecuteReader();
            Assert.True(result.Read());
            Assert.Equal(0, result.GetInt64(0)); // 1: the follow's read kept the WAL from being reset
        }

        Assert.Equal(0, new FileInfo(Db + "-wal").Length);
        release.Set();
        await cancel.CancelAsync();
        Assert.Equal(ExitCodes.Ok, await tail.WaitAsync(Patience));
    }

    [Fact]
    public async Task The_journal_is_found_from_the_configurations_state_directory()
    {
        await Journal(3);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir, "state");
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, json.ToJsonString());

        var (code, output, _) = await Run("journal", "verify", "--config", config);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains(Db, output, StringComparison.Ordinal);
    }

    // The journal verbs read only stateDirectory, on an office laptop too, so they force the simulated
    // driver; but the configuration is the real site's: its lines are its real chip's and its broker
    // is the office's, neither of which the simulated gateway's checks may refuse here.
    [Fact]
    public async Task The_journal_is_found_from_a_real_sites_configuration_with_its_lines_and_broker()
    {
        await Journal(3);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir, "state");
        json["EdgeGuard"]!["points"]![0]!["line"] = Hardware.Simulation.SimulatedGpioDriver.DefaultLineCount + 6;
        json["EdgeGuard"]!["mqtt"] = new JsonObject { ["host"] = "broker.office.example", ["tls"] = new JsonObject { ["enabled"] = false } };
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, json.ToJsonString());

        var (code, output, error) = await Run("journal", "verify", "--config", config);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains(Db, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_journal_is_named_and_exits_1_without_creating_it()
    {
        var (code, _, error) = await Run("journal", "tail", "--db", Db);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Db));
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("export")]
    [InlineData("tail")]
    public async Task A_journal_of_another_user_is_refused_before_anything_is_created_beside_it(string verb)
    {
        // After a clean stop SQLite deleted the -wal and -shm; a read-only open would create them
        // as this user, and the gateway's user could then not write them (no start, restart loop).
        await Journal(3);
        Assert.False(File.Exists(Db + "-wal"));
        var owner = GatewayFilesUser.OwnerOf(Db)!.Value;
        GatewayFilesUser.EffectiveUserForTests.Value = owner + 1;

        var (code, output, error) = await Run("journal", verb, "--db", Db);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains($"edgeguard journal: {Db} belongs to ", error, StringComparison.Ordinal);
        Assert.Contains($"Run as the gateway's user: sudo -u ", error, StringComparison.Ordinal);
        // The program by its path (not on a gateway's PATH), then the arguments as they were given.
        Assert.Contains($"{GatewayFilesUser.ShellQuote(Environment.ProcessPath!)} ", error, StringComparison.Ordinal);
        Assert.Contains($" journal {verb} --db {GatewayFilesUser.ShellQuote(Db)}{Environment.NewLine}", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Db + "-wal"));
        Assert.False(File.Exists(Db + "-shm"));
    }

    [Fact]
    public async Task Another_user_reads_the_journal_of_a_running_gateway_as_its_wal_and_shm_are_there()
    {
        // The gateway runs: its -wal and -shm are there, so a read-only open creates nothing.
        await Journal(3);
        using var running = JournalDatabase.Open(Db);
        Assert.True(File.Exists(Db + "-wal") && File.Exists(Db + "-shm"), "the running journal has no -wal and -shm");
        GatewayFilesUser.EffectiveUserForTests.Value = GatewayFilesUser.OwnerOf(Db)!.Value + 1;

        var (code, _, error) = await Run("journal", "verify", "--db", Db);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.DoesNotContain("belongs to", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_owner_of_the_journal_reads_it_without_sudo()
    {
        // The simulator and an office copy: the file is the user's own, so nothing is refused.
        await Journal(3);
        GatewayFilesUser.EffectiveUserForTests.Value = GatewayFilesUser.OwnerOf(Db)!.Value;

        Assert.Equal(ExitCodes.Ok, (await Run("journal", "verify", "--db", Db)).Code);
    }

    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRun.InvokeAsync(args);

    private static string Inv(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static List<long> Seqs(string jsonLines) =>
        [.. jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => (long)JsonNode.Parse(line)!["seq"]!)];

    // Written by the gateway's own journal, as a running gateway would.
    private async Task Journal(int events, int startAt = 1)
    {
        using var database = JournalDatabase.Open(Db);
        using var journal = new EventJournal(database, TimeProvider.System);
        journal.Publish([.. Enumerable.Range(startAt, events).Select(i => (DomainEvent)new PointActivated(T0.AddMilliseconds(i), $"p{i}", PointKind.DoorContact, "lobby"))]);
        await journal.FlushAsync().WaitAsync(Patience);
    }

    private void Sql(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Db, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Output that takes one line, then blocks every write until released (a pager nobody scrolls).</summary>
    private sealed class StallingWriter(ManualResetEventSlim release) : TextWriter
    {
        private int _lines;
        private volatile bool _blocked;

        public override Encoding Encoding => Encoding.UTF8;

        public int Lines => Volatile.Read(ref _lines);

        public bool Blocked => _blocked;

        public override void WriteLine(string? value)
        {
            if (Interlocked.Increment(ref _lines) > 1)
            {
                _blocked = true;
                release.Wait();
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }

    /// <summary>Output written by the follow loop while the test reads it.</summary>
    private sealed class LockedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
