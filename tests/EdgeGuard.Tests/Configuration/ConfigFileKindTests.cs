using EdgeGuard.Configuration;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>--config</c> naming something other than a JSON file of reasonable size: a named pipe (a
/// secrets agent's FIFO, <c>/dev/stdin</c>, a wrong path), a device such as <c>/dev/zero</c>, a
/// disk image given by mistake. The loader opened the path with a blocking open, so
/// <c>validate</c> and <c>run</c> waited for ever for a writer to the pipe, and a device or a huge
/// file was read whole into memory; systemd saw a start that never finished. Each is now a config
/// problem naming the path and what is wrong, listed with the others, exit 2.
/// </summary>
public sealed class ConfigFileKindTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_named_pipe_as_the_config_file_is_an_error_naming_it_without_waiting_for_a_writer()
    {
        using var pipe = new NamedPipe(_dir.File("appsettings.json"));

        var result = await Task.Run(() => GatewayConfigLoader.Load(pipe.Path)).WaitAsync(Patience);

        var error = Assert.Single(result.Errors);
        Assert.Equal(pipe.Path, error.Path);
        Assert.Equal($"cannot read the configuration file: file '{pipe.Path}' is not a regular file but a named pipe (FIFO); a configuration file is a regular file", error.Message);
        Assert.Null(result.Config);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("run")]
    public async Task Validate_and_run_with_a_named_pipe_as_the_config_exit_2_naming_it(string verb)
    {
        using var pipe = new NamedPipe(_dir.File("appsettings.json"));

        var (code, _, err) = await Task.Run(() => CliRun.InvokeAsync(verb, "--config", pipe.Path)).WaitAsync(Patience);

        Assert.Equal(2, code);
        Assert.Contains($"file '{pipe.Path}' is not a regular file but a named pipe (FIFO)", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_character_device_as_the_config_file_is_an_error_never_read()
    {
        // /dev/zero never ends: read whole, it filled the memory.
        var result = await Task.Run(() => GatewayConfigLoader.Load("/dev/zero")).WaitAsync(Patience);

        var error = Assert.Single(result.Errors);
        Assert.Equal("/dev/zero", error.Path);
        Assert.Contains("file '/dev/zero' is not a regular file but a character device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_over_1_MiB_is_an_error_naming_its_size()
    {
        // A valid config padded past the limit: it loaded before, a megabyte of it or a gigabyte.
        var path = _dir.File("appsettings.json");
        File.WriteAllText(path, File.ReadAllText(TestConfigs.SamplePath) + new string(' ', GatewayConfigLoader.MaxFileBytes));

        var result = GatewayConfigLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains($"file '{path}' is 1 MiB (", error.Message, StringComparison.Ordinal);
        Assert.Contains("larger than the 1 MiB a configuration file may be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_2_GiB_file_given_by_mistake_is_refused_by_its_size_without_reading_it()
    {
        var path = _dir.File("disk.img");
        using (var image = new FileStream(path, FileMode.CreateNew))
        {
            // Sparse: no disk space taken, but a read would have gone through all of it.
            image.SetLength((2L << 30) + (100L << 20));
        }

        var result = await Task.Run(() => GatewayConfigLoader.Load(path)).WaitAsync(Patience);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"cannot read the configuration file: file '{path}' is 2.1 GiB (2,252,341,248 bytes), larger than the 1 MiB a configuration file may be", error.Message);
    }

    [Fact]
    public void A_directory_as_the_config_file_is_an_error_saying_so()
    {
        var result = GatewayConfigLoader.Load(_dir.Path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(_dir.Path, error.Path);
        Assert.Contains("is a directory, not a configuration file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pipe_config_with_a_bad_override_lists_both_problems_at_once()
    {
        using var pipe = new NamedPipe(_dir.File("appsettings.json"));

        var result = await Task.Run(() => GatewayConfigLoader.Load(pipe.Path, ["no-equals-sign"])).WaitAsync(Patience);

        Assert.Equal(2, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Path == pipe.Path && e.Message.Contains("named pipe (FIFO)", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "overrides:0");
    }
}
