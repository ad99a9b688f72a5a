using EdgeGuard.Simulation;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// A journaled event whose stored row was damaged (storage corruption) while it waited for the
/// broker: the real executable sends a journal.unreadable in its place, every later event still
/// reaches the office, and a client that is not ours reads a stream the contract tool accepts.
/// </summary>
public sealed class UnreadableRowDeliveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_damaged_row_reaches_the_office_as_journal_unreadable_and_the_events_after_it_follow()
    {
        using var state = new TempDirectory();

        // No broker yet: the lockdown and its clear stay in the outbox.
        await using (var offline = await GatewayProcess.StartAsync(state.Path, TestGateway.FreeLoopbackPort()))
        {
            await using var link = await SimulatorClient.ConnectAsync(offline.ControlSocket, CancellationToken.None);
            var scenario = Scenario.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "scenarios", "panic-and-clear.scenario")), "panic-and-clear");
            await new ScenarioRunner(link, TimeSpan.FromSeconds(5), TimeProvider.System).RunAsync(scenario, TextWriter.Null, CancellationToken.None);
            await JournalFile.InStateDirectoryOnceAsync(state.Path, "lockdown.cleared", Patience);
        }

        var journaled = JournalFile.InStateDirectory(state.Path);
        var damaged = journaled.Single(e => e.Type == "lockdown.started");
        Damage(Path.Combine(state.Path, "edgeguard.db"), damaged.Seq);

        await using var broker = await MosquittoBroker.StartAsync();
        var capture = Path.Combine(state.Path, "capture.txt");
        using var sub = await ContractInteropTests.MosquittoSubAsync(broker, "office", capture, ["-v"]);
        string gatewayLog;
        await using (var online = await GatewayProcess.StartAsync(state.Path, broker.Port))
        {
            await Eventually.TrueAsync(
                () => ContractInteropTests.ReadLines(capture).Exists(m => m.Contains("\"type\":\"lockdown.cleared\"", StringComparison.Ordinal)),
                Patience,
                "the lockdown's clear, journaled after the damaged row, at the office");
            gatewayLog = online.Output;
            output.WriteLine(gatewayLog);
        }

        await Eventually.TrueAsync(() => ContractInteropTests.ReadLines(capture).Exists(m => m.EndsWith("/availability offline", StringComparison.Ordinal)), Patience, "offline after the stop");
        sub.Kill();
        var messages = ContractInteropTests.ReadLines(capture);
        output.WriteLine(string.Join('\n', messages));

        var unreadable = Assert.Single(messages, m => m.Contains("\"type\":\"journal.unreadable\"", StringComparison.Ordinal));
        Assert.Contains($"\"id\":\"{damaged.Id}\"", unreadable, StringComparison.Ordinal);
        Assert.Contains($"\"seq\":{damaged.Seq},", unreadable, StringComparison.Ordinal);
        Assert.Contains("\"severity\":\"critical\"", unreadable, StringComparison.Ordinal);
        Assert.Contains("\"data\":{\"problem\":\"has unknown severity \\u0027Panic\\u0027.\",\"storedType\":\"lockdown.started\"}", unreadable, StringComparison.Ordinal);
        Assert.Contains($"Journal failure; it carries on EdgeGuard.Journal.JournalException: Journal database '{Path.Combine(state.Path, "edgeguard.db")}': event {damaged.Seq} has unknown severity 'Panic'.", gatewayLog, StringComparison.Ordinal);
        Assert.DoesNotContain(messages, m => m.Contains("\"type\":\"lockdown.started\"", StringComparison.Ordinal));
        var (exitCode, report) = await ContractInteropTests.Validate(capture);
        output.WriteLine(report);
        Assert.True(exitCode == 0, report);
        Assert.EndsWith($"{messages.Count} passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    // What a flipped bit on the card could leave: a severity the journal never writes.
    private static void Damage(string databasePath, long seq)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE events SET severity = 'Panic' WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}
