using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The state directory and <c>journal.fallbackDirectory</c> hold the journal and the persisted
/// safety state, and the gateway adopts a RAM journal it finds in the fallback directory: whoever
/// may put files there can feed it a forged journal. <c>validate</c> refuses one that group or
/// others may write, sticky bit or not (/tmp, /dev/shm); one not made yet is judged by its nearest
/// existing parent, where whoever comes first would make it. The owner rule is tested with
/// CheckedDirectory itself (EdgeGuard.Mqtt.Tests), since these tests run as root.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalDirectoryModesTests : IDisposable
{
    private const UnixFileMode Sticky = (UnixFileMode)0b1_111_111_111;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void World_writable_state_and_fallback_directories_are_refused()
    {
        var open = Folder("shm-edgeguard", (UnixFileMode)0b111_111_111);

        var result = Validate(open, open);

        TestConfigs.AssertError(result, "EdgeGuard:stateDirectory", $"directory '{open}' is writable by group or others (mode 0777)");
        TestConfigs.AssertError(result, "EdgeGuard:journal:fallbackDirectory", $"directory '{open}' is writable by group or others (mode 0777)");
    }

    [Fact]
    public void A_sticky_world_writable_directory_is_refused_as_a_fallback()
    {
        var shm = Folder("shm", Sticky);

        TestConfigs.AssertError(Validate(Folder("state", null), shm), "EdgeGuard:journal:fallbackDirectory",
            $"directory '{shm}' is writable by group or others (mode 01777; the sticky bit", "not from making them");
    }

    [Fact]
    public void A_directory_not_made_yet_is_judged_by_its_nearest_existing_parent()
    {
        var shm = Folder("shm", Sticky);
        var later = Path.Combine(shm, "edgeguard", "run");

        TestConfigs.AssertError(Validate(Folder("state", null), later), "EdgeGuard:journal:fallbackDirectory",
            $"'{later}' does not exist yet, and whoever may write '{shm}' could make it first");
    }

    [Fact]
    public void A_directory_not_made_yet_under_a_closed_parent_passes()
    {
        var result = Validate(Path.Combine(Folder("lib", null), "edgeguard"), Path.Combine(Folder("run", null), "edgeguard"));

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void Run_does_not_refuse_to_start_over_a_directory_mode()
    {
        var open = Folder("open", (UnixFileMode)0b111_111_111);

        Assert.True(Validate(open, open, loadFiles: false).IsValid);
    }

    private string Folder(string name, UnixFileMode? mode)
    {
        var path = Directory.CreateDirectory(_dir.File(name)).FullName;
        if (mode is { } m)
        {
            File.SetUnixFileMode(path, m);
        }

        return path;
    }

    private static ConfigResult Validate(string state, string fallback, bool loadFiles = true) => TestConfigs.Read(k =>
    {
        k.Set("stateDirectory", state);
        k.Set("journal:fallbackDirectory", fallback);
    }, loadFiles: loadFiles);
}
