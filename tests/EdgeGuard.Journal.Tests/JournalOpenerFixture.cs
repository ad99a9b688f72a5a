using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// What the JournalOpener tests share: a state directory and a volatile fallback directory in a
/// fresh temp directory, a fake clock at <see cref="Now"/>, and a lockdown to save.
/// </summary>
public abstract class JournalOpenerFixture : IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    protected static readonly DateTimeOffset Now = new(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);

    protected static readonly SafetyState Lockdown =
        new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-lobby", Now), SirenSounding: true);

    private readonly TempDirectory _temp = new();

    protected FakeTimeProvider Time { get; } = new(Now);

    /// <summary>The real journal, in the state directory.</summary>
    protected string Real => _temp.File(Path.Combine("state", JournalDatabase.FileName));

    /// <summary>The volatile fallback directory.</summary>
    protected string Volatile => _temp.File("run");

    /// <summary>The journal in the fallback directory.</summary>
    protected string FallbackFile => Path.Combine(Volatile, JournalDatabase.FileName);

    /// <summary>The first seq of a journal created at <see cref="Now"/> (JournalOpener.SeqFloor).</summary>
    protected static long Floor => Now.ToUnixTimeMilliseconds() * 1_000;

    /// <summary>A path inside the temp directory.</summary>
    protected string TempFile(string name) => _temp.File(name);

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
