using System.Text.Json;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The whole gateway (shipped config, simulated lines, embedded broker) starts and protects the site
/// when its journal database cannot be opened at boot: a damaged file is moved aside and replaced, a
/// state directory that cannot be written gives a journal in the volatile directory. Before, the
/// start failed (systemd restarted, then rebooted) and a panic locked nothing meanwhile.
/// </summary>
public sealed class JournalAtBootTests : IDisposable
{
    private const int PanicLobbyLine = 23;
    private const int LockLobbyLine = 12;
    private const int LockChanceryLine = 13;

    private readonly string _dir = Directory.CreateTempSubdirectory("eg-journal-boot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Volatile => Path.Combine(_dir, "run");

    [Fact]
    public async Task A_damaged_journal_is_kept_aside_and_the_gateway_runs_on_a_fresh_one_that_says_so()
    {
        var state = Path.Combine(_dir, "state");
        var database = Path.Combine(state, JournalDatabase.FileName);
        JournalDatabase.Open(database).Dispose();
        var garbage = new byte[new FileInfo(database).Length];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(database, garbage); // an SD card that lost the file's pages

        await using var host = await StartAsync(state);
        var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
        // Fail-secure and normally locked: driven, unpowered (locked), from the boot on.
        Assert.Equal([false], driver.DrivenLevels(LockChanceryLine));
        await PanicLocksAsync(host);

        var journal = host.Services.GetRequiredService<EventJournal>();
        Assert.Equal(database, host.Services.GetRequiredService<JournalDatabase>().Path);
        var records = journal.ReadAfter(0, 100);
        var gap = records[0];
        Assert.Equal("journal.gap", gap.Type);
        Assert.Equal(1, Data(gap).GetProperty("fromSeq").GetInt64());
        Assert.Equal(gap.Seq - 1, Data(gap).GetProperty("throughSeq").GetInt64());
        Assert.True(gap.Seq > 1_700_000_000_000_000, $"the fresh journal starts at its floor, not at {gap.Seq}");
        var fault = records[1];
        Assert.Equal("fault.journal-replaced", fault.Type);
        Assert.Equal(Severity.Critical, fault.Severity);
        var aside = Assert.Single(Directory.GetFiles(state, JournalDatabase.FileName + ".damaged-*"));
        Assert.Equal(garbage, File.ReadAllBytes(aside));
        Assert.Equal(aside, Data(fault).GetProperty("keptAt").GetString());
        Assert.Contains(records, r => r.Type == "lockdown.started");
        await DeliveredAsync(journal, fault.Seq);
    }

    // SQLite opens the file (its header and schema are whole), but a page the journal's start reads
    // is lost: the index of the journal.gap rows. Before, the open handed it over as sound and the
    // EventJournal constructor threw in the host's DI: the gateway did not start.
    [Fact]
    public async Task A_journal_with_a_damaged_page_its_start_reads_is_kept_aside_and_the_gateway_runs_on_a_fresh_one_in_its_lockdown()
    {
        var state = Path.Combine(_dir, "state");
        await using (var first = await StartAsync(state))
        {
            await PanicLocksAsync(first);
        }

        var database = Path.Combine(state, JournalDatabase.FileName);
        SqlitePages.CorruptRootPage(database, "events_gaps");
        var damaged = File.ReadAllBytes(database);

        await using var host = await StartAsync(state);
        Assert.Equal(database, host.Services.GetRequiredService<JournalDatabase>().Path);
        var journal = host.Services.GetRequiredService<EventJournal>();
        var fault = journal.ReadAfter(0, 100)[1];
        Assert.Equal("fault.journal-replaced", fault.Type);
        var aside = Assert.Single(Directory.GetFiles(state, JournalDatabase.FileName + ".damaged-*"));
        Assert.Equal(damaged, File.ReadAllBytes(aside));
        Assert.Equal(aside, Data(fault).GetProperty("keptAt").GetString());

        // The fresh journal is seeded from the kept file (JournalOpener.ReplaceSeed.cs): the
        // lockdown in force before the restart stays in force, with no new press.
        Assert.Contains("a lockdown in force stays in force", Data(fault).GetProperty("reason").GetString(), StringComparison.Ordinal);
        var controller = host.Services.GetRequiredService<SiteController>();
        var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
        await Until(() => controller.Current?.Mode == SiteMode.Lockdown, "the lockdown is restored");
        await Until(() => driver.GetOutputLevel(LockLobbyLine), "the lobby's lock is driven locked");
        await DeliveredAsync(journal, fault.Seq);
    }

    [Fact]
    public async Task A_state_directory_that_cannot_be_written_gives_a_volatile_journal_that_protects_and_reports()
    {
        var blocker = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(blocker, "a file where the state directory's parent should be");
        var state = Path.Combine(blocker, "state");

        await using var host = await StartAsync(state);
        Assert.Equal(Path.Combine(Volatile, JournalDatabase.FileName), host.Services.GetRequiredService<JournalDatabase>().Path);
        await PanicLocksAsync(host);

        var journal = host.Services.GetRequiredService<EventJournal>();
        var records = journal.ReadAfter(0, 100);
        Assert.Equal("journal.gap", records[0].Type);
        Assert.Equal(1, Data(records[0]).GetProperty("fromSeq").GetInt64());
        var fault = records[1];
        Assert.Equal("fault.journal-unavailable", fault.Type);
        Assert.Equal(Severity.Critical, fault.Severity);
        Assert.Equal(Path.Combine(state, JournalDatabase.FileName), Data(fault).GetProperty("path").GetString());
        Assert.Equal(Path.Combine(Volatile, JournalDatabase.FileName), Data(fault).GetProperty("fallbackPath").GetString());
        Assert.False(string.IsNullOrWhiteSpace(Data(fault).GetProperty("reason").GetString()));
        var locked = records.Single(r => r.Type == "lockdown.started");
        await DeliveredAsync(journal, locked.Seq); // published to the broker from the volatile journal
    }

    [Fact]
    public async Task A_volatile_journal_that_cannot_be_read_beside_a_state_directory_that_cannot_be_written_does_not_fail_the_start()
    {
        // Before, the start threw: systemd restarted it into the same failure, then rebooted.
        var blocker = Path.Combine(_dir, "state");
        File.WriteAllText(blocker, "in the way");
        Directory.CreateDirectory(Volatile);
        var fallback = Path.Combine(Volatile, JournalDatabase.FileName);
        var garbage = new byte[8192];
        new Random(13).NextBytes(garbage);
        File.WriteAllBytes(fallback, garbage); // a restart finds the RAM journal damaged

        await using var host = await StartAsync(blocker);
        Assert.Equal(fallback, host.Services.GetRequiredService<JournalDatabase>().Path);
        await PanicLocksAsync(host);

        var journal = host.Services.GetRequiredService<EventJournal>();
        var fault = journal.ReadAfter(0, 100)[1];
        Assert.Equal("fault.journal-unavailable", fault.Type);
        var aside = Assert.Single(Directory.GetFiles(Volatile, JournalDatabase.FileName + ".damaged-*"));
        Assert.Equal(garbage, File.ReadAllBytes(aside));
        Assert.Contains(aside, Data(fault).GetProperty("reason").GetString(), StringComparison.Ordinal);
        await DeliveredAsync(journal, fault.Seq);
    }

    [Fact]
    public async Task After_a_restart_that_finds_the_volatile_journal_the_real_one_continues_above_its_seqs()
    {
        var blocker = Path.Combine(_dir, "state");
        File.WriteAllText(blocker, "in the way");
        long fallbackLast;
        await using (var first = await StartAsync(blocker))
        {
            await PanicLocksAsync(first);
            var journal = first.Services.GetRequiredService<EventJournal>();
            await journal.FlushAsync();
            fallbackLast = journal.LastSeq;
        }

        // The technician frees the state directory; the service restarts (no reboot: /run is kept).
        File.Delete(blocker);
        await using var second = await StartAsync(blocker);
        var database = second.Services.GetRequiredService<JournalDatabase>();
        Assert.Equal(Path.Combine(blocker, JournalDatabase.FileName), database.Path);
        var records = second.Services.GetRequiredService<EventJournal>().ReadAfter(0, 100);
        var gap = records[0];
        Assert.Equal("journal.gap", gap.Type);
        Assert.True(gap.Seq > fallbackLast, $"the real journal's first seq {gap.Seq} is above the volatile one's {fallbackLast}");
        Assert.Equal(1, Data(gap).GetProperty("fromSeq").GetInt64());
        Assert.Equal(gap.Seq - 1, Data(gap).GetProperty("throughSeq").GetInt64());
        Assert.Equal("fallback-journal", Data(gap).GetProperty("cause").GetString());
        Assert.DoesNotContain(records, r => r.Seq <= fallbackLast);

        // The lockdown the volatile journal held is not forgotten by the return to the real one.
        Assert.Equal(SiteMode.Lockdown, second.Services.GetRequiredService<SiteController>().Current!.Mode);
        Assert.False(File.Exists(Path.Combine(Volatile, JournalDatabase.FileName)), "the volatile journal is retired");
    }

    private static JsonElement Data(JournalRecord record) => JsonDocument.Parse(record.DataJson).RootElement;

    // Every start in _dir: its journal's volatile directory is _dir/run (Volatile), kept across a restart as /run is.
    private Task<TestGatewayHost> StartAsync(string state) => TestGatewayHost.StartAsync(directory: _dir, state: state);

    // A guard presses the lobby's panic button: the site locks down and the lobby's lock is driven.
    private static async Task PanicLocksAsync(TestGatewayHost host)
    {
        var controller = host.Services.GetRequiredService<SiteController>();
        var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
        driver.SetInputLevel(PanicLobbyLine, true);
        await Until(() => controller.Current?.Mode == SiteMode.Lockdown, "the panic button starts a lockdown");
        await Until(() => driver.GetOutputLevel(LockLobbyLine), "the lobby's lock is driven locked");
        await controller.HeartbeatAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.Services.GetRequiredService<EventJournal>().FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    // The embedded broker acknowledged everything through seq: the publisher delivers from this journal.
    private static Task DeliveredAsync(EventJournal journal, long seq) =>
        Until(() => journal.DeliveredThrough >= seq, $"seq {seq} delivered to the broker");

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
