using EdgeGuard.Cli;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// The files the office and technician tools read from a path on their command line: the
/// operator's private key (<c>command sign</c>/<c>send --key</c>), a scenario file (<c>sim
/// scenario</c>) and a journal database (<c>journal verify/export/tail --db</c>). A named pipe there (a password manager's FIFO, a wrong path) made the tool wait
/// for ever in open(2); <c>/dev/zero</c> was read until the memory ran out. Both are refused at
/// once, naming the path and what it is, with the tool's failure exit code.
/// </summary>
public sealed class CliInputFileKindTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Command_sign_with_a_named_pipe_as_the_key_fails_at_once_naming_it()
    {
        using var pipe = new NamedPipe(_dir.File("sup.jones.key.pem"));

        var (code, output, error) = await Sign(pipe.Path);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", output);
        Assert.Contains($"cannot read the private key {pipe.Path}: file '{pipe.Path}' is not a regular file but a named pipe (FIFO); a private key file is a regular file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_sign_with_a_device_as_the_key_fails_without_reading_it()
    {
        var (code, _, error) = await Sign("/dev/zero");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("file '/dev/zero' is not a regular file but a character device", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_sign_with_a_key_file_over_64_KiB_fails_naming_its_size()
    {
        var path = _dir.File("big.key.pem");
        await File.WriteAllTextAsync(path, new string('#', (64 * 1024) + 1));

        var (code, _, error) = await Sign(path);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"file '{path}' is 64 KiB (65,537 bytes), larger than the 64 KiB a private key file may be", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sim_scenario_with_a_named_pipe_as_the_file_fails_at_once_naming_it()
    {
        using var pipe = new NamedPipe(_dir.File("drill.scenario"));

        var (code, _, error) = await Task.Run(() => CliRun.InvokeAsync("sim", "scenario", pipe.Path, "--socket", _dir.File("none.sock"))).WaitAsync(Patience);

        Assert.Equal(ExitCodes.ScenarioFailed, code);
        Assert.Contains($"file '{pipe.Path}' is not a regular file but a named pipe (FIFO); a scenario file is a regular file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sim_scenario_with_a_device_as_the_file_fails_without_reading_it()
    {
        var (code, _, error) = await Task.Run(() => CliRun.InvokeAsync("sim", "scenario", "/dev/zero", "--socket", _dir.File("none.sock"))).WaitAsync(Patience);

        Assert.Equal(ExitCodes.ScenarioFailed, code);
        Assert.Contains("file '/dev/zero' is not a regular file but a character device", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("export")]
    [InlineData("tail")]
    public async Task Journal_verbs_with_a_named_pipe_as_the_database_fail_at_once_naming_it(string verb)
    {
        // SQLite opens --db itself, by path, blocking: the verbs waited for ever.
        using var pipe = new NamedPipe(_dir.File("edgeguard.db"));

        var (code, output, error) = await Task.Run(() => CliRun.InvokeAsync("journal", verb, "--db", pipe.Path)).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", output);
        Assert.Contains($"file '{pipe.Path}' is not a regular file but a named pipe (FIFO); a journal database is a regular file", error, StringComparison.Ordinal);
    }

    // Sign runs on the caller's thread: a blocked open would hang the test, not fail it.
    private static Task<(int Code, string Out, string Err)> Sign(string key) =>
        Task.Run(() => CliRun.InvokeAsync("command", "sign", "lockdown", "--key", key, "--operator", "sup.jones", "--site", "site-a", "--gateway", "gw-1"))
            .WaitAsync(Patience);
}
