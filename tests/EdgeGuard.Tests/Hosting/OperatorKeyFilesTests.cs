using System.Collections.Immutable;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The running gateway's operator keys (<see cref="OperatorKeyFiles"/>), with real key files: what
/// a key file read again at an operator's command may and may not become.
/// </summary>
// Pipes, devices and file modes are the Linux gateway's.
[UnsupportedOSPlatform("windows")]
public sealed class OperatorKeyFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeguard-operator-keys-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 22, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Jones is loaded; Smith's file was missing at start. A technician "restores" it with a copy of
    // Jones's key: Smith must stay unavailable, or Jones alone makes a two-person all-clear.
    [Fact]
    public void A_key_put_back_as_a_copy_of_a_loaded_operators_key_stays_unavailable()
    {
        var jones = WriteKey("sup.jones");
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var keys = Start([Loaded("sup.jones", jones)], [Missing("sup.smith", smithFile)]);

        File.Copy(jones, smithFile);

        Assert.Null(keys.Find("sup.smith"));
        Assert.Contains("same public key as operator 'sup.jones'", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
        Assert.DoesNotContain(_reported, e => e is OperatorKeyRestored);
        Assert.NotNull(keys.Find("sup.jones"));
    }

    // Both files hold one key at start (the config reader made both unavailable): neither name is
    // trusted when it is read again, and a fresh key for one of them ends it for both.
    [Fact]
    public void Operators_sharing_a_key_at_start_stay_unavailable_until_the_files_differ()
    {
        var jonesFile = WriteKey("sup.jones");
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        File.Copy(jonesFile, smithFile);
        Assert.Null(OperatorKeyFile.Read("sup.jones", jonesFile, out var key));
        var keys = Start([], [Shared("sup.jones", jonesFile, "sup.smith", key), Shared("sup.smith", smithFile, "sup.jones", key)]);

        Assert.Null(keys.Find("sup.smith"));
        Assert.Null(keys.Find("sup.jones"));
        Assert.Contains("same public key as operator 'sup.jones'", keys.Unavailable("sup.smith"), StringComparison.Ordinal);

        File.Delete(smithFile);
        WriteKey("sup.smith");

        Assert.NotNull(keys.Find("sup.smith"));
        Assert.NotNull(keys.Find("sup.jones"));
        Assert.Equal(2, _reported.Count(e => e is OperatorKeyRestored));
        Assert.Null(keys.Problem);
    }

    // A pipe at the path: reading it would block the command handler's one thread forever, and
    // with it every office command. It is refused before it is opened.
    [Fact]
    public async Task A_pipe_put_at_the_path_is_refused_without_blocking()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var keys = Start([], [Missing("sup.smith", smithFile)]);
        MakeFifo(smithFile);

        var found = await Task.Run(() => keys.Find("sup.smith")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(found);
        Assert.Contains("not a regular file", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
    }

    // A link to /dev/zero would be read until the memory is gone; the link's final target decides.
    [Fact]
    public async Task A_link_to_a_device_is_refused_without_reading_it()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var keys = Start([], [Missing("sup.smith", smithFile)]);
        File.CreateSymbolicLink(smithFile, "/dev/zero");

        var found = await Task.Run(() => keys.Find("sup.smith")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(found);
        Assert.Contains("not a regular file", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_over_16_KiB_is_refused()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var keys = Start([], [Missing("sup.smith", smithFile)]);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            // A valid key after 16 KiB of comment: the size alone refuses it.
            File.WriteAllText(smithFile, new string('#', OperatorKeyFile.MaxBytes) + "\n" + key.ExportSubjectPublicKeyInfoPem());
        }

        Assert.Null(keys.Find("sup.smith"));
        Assert.Contains("at most 16 KiB", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_others_may_write_is_refused_and_the_mode_said()
    {
        var smithFile = WriteKey("sup.smith");
        File.SetUnixFileMode(smithFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var keys = Start([], [Missing("sup.smith", smithFile)]);

        Assert.Null(keys.Find("sup.smith"));
        Assert.Contains("writable by group or others (mode 0646)", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
    }

    // command-results goes to anyone on the broker who sends an unsigned command under the name:
    // the reason, not where the gateway keeps its keys. The fault event and the log keep the path.
    [Fact]
    public void The_reason_for_command_results_leaves_the_path_out()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var keys = Start([], [Missing("sup.smith", smithFile)]);

        Assert.Null(keys.Find("sup.smith"));

        Assert.Equal("the key file does not exist", keys.Unavailable("sup.smith"));
        Assert.Equal(smithFile, Assert.IsType<OperatorKeyFault>(Assert.Single(_reported)).File);
        Assert.Contains(smithFile, keys.Problem, StringComparison.Ordinal);
    }

    // The office must hear a key is back without waiting for that operator's next command: the
    // files are read again every minute, on the gateway's clock.
    [Fact]
    public void A_key_put_back_is_restored_by_the_recheck_timer_without_a_command()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        using var keys = Start([], [Missing("sup.smith", smithFile)]);
        WriteKey("sup.smith");

        _time.Advance(OperatorKeyFiles.RecheckInterval - TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(_reported, e => e is OperatorKeyRestored);
        Assert.NotNull(keys.Problem);

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("sup.smith", Assert.IsType<OperatorKeyRestored>(_reported[^1]).Operator);
        Assert.Null(keys.Problem);
        Assert.Null(keys.Unavailable("sup.smith"));
        Assert.Single(_reported, e => e is OperatorKeyRestored);
        File.Delete(smithFile);
        Assert.NotNull(keys.Find("sup.smith"));
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private OperatorKeyFiles Start(IReadOnlyList<OperatorKey> loaded, IReadOnlyList<UnavailableOperatorKey> unavailable) =>
        new(new CommandOptions(loaded, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(15)) { Unavailable = unavailable },
            _reported.AddRange, _time, NullLogger<OperatorKeyFiles>.Instance);

    private string WriteKey(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_dir, $"{name}.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        return path;
    }

    private static OperatorKey Loaded(string name, string file)
    {
        Assert.Null(OperatorKeyFile.Read(name, file, out var key));
        return new OperatorKey(name, OperatorRole.Supervisor, key, []);
    }

    private static UnavailableOperatorKey Missing(string name, string file) =>
        new(name, OperatorRole.Supervisor, file, [], $"file '{file}' does not exist");

    private static UnavailableOperatorKey Shared(string name, string file, string other, ImmutableArray<byte> key) =>
        new(name, OperatorRole.Supervisor, file, [], OperatorKeyFile.SharedKey(file, other)) { Key = key };
}
