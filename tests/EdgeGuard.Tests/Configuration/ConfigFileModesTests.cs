using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The configuration file names the broker, its CA file, the operators' key files and the pin map
/// (fire, egress, panic): whoever can write it, or rename another file over it, controls all of
/// them. <c>validate</c> holds it to the rule the TLS files meet (<c>TlsFile.ModeProblem</c>): the
/// file and its folder not writable by group or others. <c>run</c> starts anyway, with a warning,
/// as it does over a TLS file's mode: a mode changed after provisioning must not stop the site's
/// protection.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConfigFileModesTests : IDisposable
{
    private const UnixFileMode Provisioned = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_sample_at_the_mode_provisioning_installs_validates()
    {
        var path = SampleCopy(_dir.File("etc"));
        File.SetUnixFileMode(path, Provisioned);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.True(code == 0, err);
    }

    [Fact]
    public async Task A_world_writable_config_file_is_refused_by_validate()
    {
        var path = SampleCopy(_dir.File("etc"));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"file '{path}' is writable by group or others (mode 0666)", err, StringComparison.Ordinal);
        Assert.Contains("chmod go-w", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_in_a_folder_others_may_write_is_refused_by_validate()
    {
        var folder = _dir.File("etc-open");
        var path = SampleCopy(folder);
        File.SetUnixFileMode(path, Provisioned);
        // No sticky bit: anyone may rename their own file over it.
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"in directory '{folder}', which is writable by group or others (mode 0777)", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_mode_problem_is_listed_with_every_other_problem()
    {
        var path = SampleCopy(_dir.File("etc"));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_100);

        var result = GatewayConfigLoader.Read(GatewayConfigLoader.Build(path, ["EdgeGuard:mqtt:port=not-a-port"]), loadFiles: true);

        TestConfigs.AssertError(result, path, "writable by group or others (mode 0664)");
        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:mqtt:port");
    }

    [Fact]
    public void Run_starts_over_a_config_file_mode_and_warns()
    {
        var path = SampleCopy(_dir.File("etc"));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        using var error = new StringWriter();

        var loaded = RunVerbHandler.Load(path, simulate: true, error, warn: true);

        Assert.NotNull(loaded);
        Assert.Contains($"warning: {path}: file '{path}' is writable by group or others", error.ToString(), StringComparison.Ordinal);
    }

    private static string SampleCopy(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "appsettings.json");
        File.Copy(TestConfigs.SamplePath, path, overwrite: true);
        return path;
    }
}
