using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// What the restart tests share: the running controller over the real SQLite safety-state store in a
/// temp directory, which outlives the gateway, so a restart boots from the row the last run saved
/// rather than from a fake store's memory.
/// </summary>
internal sealed class SqliteRestartRig : IAsyncDisposable
{
    private readonly SiteDefinition _site;
    private readonly TimeSpan _debounce;
    private readonly TempDirectory _temp = new();
    private readonly JournalDatabase _database;

    /// <param name="site">The site the gateway protects, the same before and after each restart.</param>
    /// <param name="debounce">The debounce of the points <see cref="TurnAsync"/> turns.</param>
    public SqliteRestartRig(SiteDefinition site, TimeSpan debounce)
    {
        _site = site;
        _debounce = debounce;
        _database = JournalDatabase.Open(_temp.File(JournalDatabase.FileName));
        Harness = NewHarness();
    }

    /// <summary>The gateway of this run: not booted until the test boots it.</summary>
    public ControllerHarness Harness { get; private set; }

    /// <summary>The safety state as the journal holds it now.</summary>
    public SafetyState Saved => new SqliteSafetyStateStore(_database).Load();

    /// <summary>
    /// The gateway stops and a new one (not booted yet) takes its place over the same journal, so the
    /// test can set the inputs as the power cut left them before it boots.
    /// </summary>
    public async Task RestartAsync()
    {
        await Harness.DisposeAsync();
        Harness = NewHarness();
    }

    /// <summary>A turn (or press) and release, each held past the debounce.</summary>
    public async Task TurnAsync(string point)
    {
        foreach (var active in new[] { true, false })
        {
            Harness.Set(point, active);
            await Harness.SettleAsync();
            Harness.Time.Advance(_debounce * 2);
            await Harness.SettleAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        _database.Dispose();
        _temp.Dispose();
    }

    private ControllerHarness NewHarness() => new(_site, _ => new SqliteSafetyStateStore(_database));
}
