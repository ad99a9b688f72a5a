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
public sealed partial class OperatorKeyFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeguard-operator-keys-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 22, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<string> _rotated = [];
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

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

    // The path passes every check as a key file, then a pipe is renamed over it before the open:
    // a check of the path before the open would let that open block, and every office command with
    // it. The file is opened without blocking and the open handle is what is checked.
    [Fact]
    public async Task A_pipe_swapped_in_after_a_key_passed_the_checks_is_refused_without_blocking()
    {
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        var key = WriteKey("real");
        var pipe = Path.Combine(_dir, "pipe");
        MakeFifo(pipe);
        File.CreateSymbolicLink(smithFile, key);
        using var stop = new CancellationTokenSource();
        // Links renamed over the path in turn (rename is atomic): the path is always there, a key
        // one moment and a pipe the next.
        var swaps = 0;
        var swapper = Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var next = Path.Combine(_dir, $"next{i % 2}");
                    File.CreateSymbolicLink(next, i % 2 == 0 ? pipe : key);
                    File.Move(next, smithFile, overwrite: true);
                    Interlocked.Increment(ref swaps);
                }
            },
            stop.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        var problems = new List<string?>();
        try
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref swaps) > 100, TimeSpan.FromSeconds(10), "the swapper running");
            await Task.Run(() =>
            {
                // 2000 reads at least, and on until both a key and a pipe were read: the swapper and
                // this loop may take turns on one loaded core, and a pipe is refused some ten times
                // faster than a key is read, so 2000 reads can all fall in the pipe's turns (seen: no
                // key in 2000 reads over 337 swaps). Without a read of each, the swap was not tested.
                var (keys, pipes) = (0, 0);
                for (var i = 0; (i < 2000 || keys == 0 || pipes == 0) && !stop.IsCancellationRequested; i++)
                {
                    var problem = OperatorKeyFile.Read("sup.smith", smithFile, out _);
                    problems.Add(problem);
                    (keys, pipes) = problem is null ? (keys + 1, pipes) : (keys, pipes + 1);
                }
            }).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // A read is stuck in the pipe's open: a writer lets it go, so the test process ends.
            // Opened for reading too, which never waits (Linux): a write-only open would wait for a
            // reader for ever if the reads were slow rather than stuck and had ended meanwhile.
            using var writer = new FileStream(pipe, FileMode.Open, FileAccess.ReadWrite);
            throw;
        }
        finally
        {
            await stop.CancelAsync();
            await swapper;
        }

        Assert.All(problems, p => Assert.True(p is null || p.Contains("not a regular file", StringComparison.Ordinal), p));
        Assert.Contains(problems, p => p is not null);
        Assert.Contains(problems, p => p is null);
    }

    // Whoever may write the key directory can rename their own key over the operator's, whatever
    // the file's mode: the operator stays unavailable as for a key file others may write, the
    // answer to the office leaves the directory out, and a 'chmod go-w' brings the key back.
    [Fact]
    public void A_key_in_a_directory_others_may_write_stays_unavailable_until_it_is_closed()
    {
        var loose = Path.Combine(_dir, "loose");
        Directory.CreateDirectory(loose);
        File.SetUnixFileMode(loose, DirectoryMode | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        var smithFile = WriteKey("sup.smith", loose);
        using var keys = Start([], [Missing("sup.smith", smithFile)]);

        Assert.Null(keys.Find("sup.smith"));
        Assert.Equal(
            "the key file is in a directory, which is writable by group or others (mode 0777): whoever can write there could replace the key file; 'chmod go-w' the directory (0755)",
            keys.Unavailable("sup.smith"));
        Assert.Contains($"'{loose}'", keys.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain(_reported, e => e is OperatorKeyRestored);

        File.SetUnixFileMode(loose, DirectoryMode);

        Assert.NotNull(keys.Find("sup.smith"));
        Assert.Single(_reported, e => e is OperatorKeyRestored);
    }

    // Links are followed, as /etc/ssl/certs works: a link in the key directory to a key kept in
    // another root-owned directory loads ...
    [Fact]
    public void A_link_to_a_key_in_another_closed_directory_is_followed()
    {
        var store = Path.Combine(_dir, "store");
        Directory.CreateDirectory(store);
        File.SetUnixFileMode(store, DirectoryMode);
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        File.CreateSymbolicLink(smithFile, WriteKey("sup.smith", store));

        Assert.Null(OperatorKeyFile.Read("sup.smith", smithFile, out var key));
        Assert.False(key.IsDefaultOrEmpty);
    }

    // ... but the directory the link leads to is checked as the key directory is: whoever may
    // write there can replace the file the link reaches.
    [Fact]
    public void A_link_to_a_key_in_a_directory_others_may_write_is_refused_naming_that_directory()
    {
        var store = Path.Combine(_dir, "store");
        Directory.CreateDirectory(store);
        File.SetUnixFileMode(store, DirectoryMode | UnixFileMode.OtherWrite);
        var smithFile = Path.Combine(_dir, "sup.smith.pub.pem");
        File.CreateSymbolicLink(smithFile, WriteKey("sup.smith", store));

        var problem = OperatorKeyFile.Read("sup.smith", smithFile, out _);

        Assert.Equal(
            $"file '{smithFile}' is in directory '{store}', which is writable by group or others (mode 0757): whoever can write there could replace the key file; 'chmod go-w' the directory (0755)",
            problem);
    }

    // A key file owned by another user: that user may chmod it and put in their own key.
    [Fact]
    public void A_key_file_owned_by_another_user_is_refused()
    {
        if (Environment.UserName != "root")
        {
            // Only root can give a file away; the gateway's test runs (CI, containers) are root's.
            return;
        }

        var smithFile = WriteKey("sup.smith");
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534", smithFile]))
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        Assert.Equal(
            $"file '{smithFile}' is owned by uid 65534, neither root nor the service's user: that user could put in their own key; 'chown root' it",
            OperatorKeyFile.Read("sup.smith", smithFile, out _));
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
        new(new CommandOptions(loaded, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(15)) { Unavailable = unavailable, KeyFiles = _files },
            _reported.AddRange, _rotated.Add, _time, NullLogger<OperatorKeyFiles>.Instance);

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    // Mode 0644 as provisioning installs it, set rather than left to the umask.
    private string WriteKey(string name, string? directory = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(directory ?? _dir, $"{name}.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    // The loaded key and, as the configuration reader records it, the file it came from.
    private OperatorKey Loaded(string name, string file)
    {
        Assert.Null(OperatorKeyFile.Read(name, file, out var key));
        _files[name] = file;
        return new OperatorKey(name, OperatorRole.Supervisor, key, []);
    }

    private static UnavailableOperatorKey Missing(string name, string file) =>
        new(name, OperatorRole.Supervisor, file, [], $"file '{file}' does not exist");

    private static UnavailableOperatorKey Shared(string name, string file, string other, ImmutableArray<byte> key) =>
        new(name, OperatorRole.Supervisor, file, [], OperatorKeyFile.SharedKey(file, other)) { Key = key };
}
