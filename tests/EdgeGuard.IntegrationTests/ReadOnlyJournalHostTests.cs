using System.Security.Cryptography;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Simulation;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The gateway boots on an SD card the kernel remounted read-only while it was in a lockdown. The
/// read-only file system is stood in for where SQLite meets it: the journal file opened read-only
/// (SQLite retries a read-write open so by itself on EROFS), the real file, with the real journal as
/// the event sink. The whole host still arms: locked down, locks driven, a panic press obeyed, the
/// office told the retained state (also of the clear and the panic press, which no event can
/// announce), and the file is not changed by a byte.
/// </summary>
public sealed class ReadOnlyJournalHostTests
{
    private const string Root = "edgeguard/v1/embassy-demo/gw-chancery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_gateway_on_a_read_only_journal_in_lockdown_comes_up_locked_down_obeys_a_panic_press_shows_it_to_the_office_and_writes_nothing()
    {
        using var live = new TempDirectory();
        using var card = new TempDirectory();
        var image = Path.Combine(card.Path, JournalDatabase.FileName);

        // The card as the remount left it: a gateway in lockdown, its files copied while it runs (the
        // last save in the WAL, not checkpointed).
        var running = await TestGateway.StartAsync(live.Path);
        await running.PlayAsync(Scenario.Parse("press panic-lobby\nexpect mode lockdown\nrelease panic-lobby", "lockdown"), ExpectTimeout);
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            File.Copy(Path.Combine(live.Path, JournalDatabase.FileName) + suffix, image + suffix);
        }

        await running.DisposeAsync();
        var before = Hashes(image);

        var gateway = await TestGateway.StartAsync(card.Path, services: services =>
        {
            // The host takes its database from the boot's JournalOpening (JournalOpener): replace that.
            services.AddSingleton(_ => new JournalOpening(JournalDatabase.Open(image, null, SqliteOpenMode.ReadOnly), Fault: null));
        });
        var journal = gateway.Host.Services.GetRequiredService<EventJournal>();
        var lastSeq = journal.LastSeq;
        try
        {
            Assert.True(gateway.Host.Services.GetRequiredService<JournalDatabase>().IsReadOnly);
            // Armed from the saved lockdown, outputs driven before any input was read.
            Assert.Equal(SiteMode.Lockdown, gateway.Controller.Current!.Mode);
            Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lock-lobby")), "the lobby maglock is energised: locked");
            await gateway.PlayAsync(Scenario.Parse("expect output lock-lobby locked\nexpect output lock-chancery locked", "restored"), ExpectTimeout);

            // The office gets the gateway's birth and the retained lockdown state (no events: no seq can be
            // handed out without a durable reservation).
            // Once the publisher has republished the state after its CONNACK: a subscription made while
            // the embedded (MQTTnet) broker takes those retained publishes was seen to get neither the
            // retained copy nor the live one of the first few (2 of 2 full runs of this project).
            var publisher = gateway.Host.Services.GetRequiredService<OutboxPublisher>();
            await Eventually.TrueAsync(() => publisher.IsCaughtUp, Patience, "the publisher caught up (retained state republished)");
            await using var office = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, Root + "/#", "office");
            await office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "online", Patience, "online");
            await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown", Patience, "retained lockdown state");

            // Cleared by the keyswitch, then a panic button locks the site down again: saves fail, outputs act.
            // No event tells the office: the publisher finds the retained state out of date itself.
            await gateway.PlayAsync(Scenario.Parse(
                "press key-guardroom\nexpect mode normal\nrelease key-guardroom\nexpect output lock-chancery locked", "clear while read-only"), ExpectTimeout);
            await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "normal", Patience, "retained normal state after the clear");
            await gateway.PlayAsync(Scenario.Parse(
                "press panic-guardroom\nexpect mode lockdown\nexpect output lock-lobby locked\nexpect output lock-chancery locked\nexpect output siren-main on\nrelease panic-guardroom",
                "panic while read-only"), ExpectTimeout);
            Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("lock-lobby")));
            await office.WaitForAsync(
                r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown" && r.Json.GetProperty("point").GetString() == "panic-guardroom",
                Patience,
                "retained lockdown state of the panic press");
            await using (var console = await TestSubscriber.ConnectAsync(gateway.Config.Mqtt.Port, Root + "/state/lockdown", "console", persistent: false))
            {
                var retained = await console.WaitForAsync(r => r.Retain, Patience, "what the broker retains");
                Assert.Equal("lockdown", retained.Json.GetProperty("mode").GetString());
                Assert.Equal("panic-guardroom", retained.Json.GetProperty("point").GetString());
                Assert.True(retained.Json.GetProperty("sirenSounding").GetBoolean());
            }

            // No seq was handed out in this run. Events the image holds beyond its delivery cursor (the
            // cursor is written at most every 250 ms, so the copy may lag) are replayed, as from any
            // journal: each one journaled before the copy, none of this run.
            Assert.All(office.On(Root + "/events"), e =>
            {
                Assert.True(e.Json.GetProperty("replayed").GetBoolean(), e.Text);
                Assert.InRange(e.Json.GetProperty("seq").GetInt64(), 1, lastSeq);
            });
            await journal.FlushAsync().WaitAsync(Patience);
            Assert.Equal(lastSeq, journal.LastSeq);
            Assert.True(journal.Dropped > 0);
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        Assert.Equal(before, Hashes(image));
    }

    // The database and its WAL, byte for byte.
    private static string[] Hashes(string database) =>
        [.. new[] { database, database + "-wal" }.Select(path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))))];
}
