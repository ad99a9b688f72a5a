using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Tests.Cli;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The configuration file names the broker, its CA file, the operators' key files and the pin map
/// (fire, egress, panic): whoever can write it, or rename another file over it, controls all of
/// them. <c>validate</c> holds it to the rule the TLS files meet (<c>TlsFile.ModeProblem</c>): the
/// file and its folder not writable by group or others, and a file that holds the broker password
/// not readable by others or a group the service is not in (a private key's rule). <c>run</c> starts anyway, with a warning,
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

    [Fact]
    public async Task A_config_file_holding_the_broker_password_that_others_may_read_is_refused_by_validate()
    {
        var path = SampleCopy(_dir.File("etc"), password: "s3cret");
        File.SetUnixFileMode(path, Provisioned | UnixFileMode.OtherRead);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"file '{path}' holds mqtt.password and is readable by others (mode 0644)", err, StringComparison.Ordinal);
        Assert.Contains("chmod o-r", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_holding_the_broker_password_that_a_foreign_group_may_read_is_refused_by_validate()
    {
        var path = SampleCopy(_dir.File("etc"), password: "s3cret");
        File.SetUnixFileMode(path, Provisioned);
        // Group 'users' (100), which this test's root is not in: every login on Raspberry Pi OS.
        TlsFileModesConfigTests.Chgrp(path, 100);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"file '{path}' holds mqtt.password and is readable by group 100 (mode 0640), a group this service is not in", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_password_in_a_file_at_the_mode_provisioning_installs_validates_and_a_file_without_one_may_be_read_by_all()
    {
        var withPassword = SampleCopy(_dir.File("etc"), password: "s3cret");
        File.SetUnixFileMode(withPassword, Provisioned);
        var withoutPassword = SampleCopy(_dir.File("etc-plain"));
        File.SetUnixFileMode(withoutPassword, Provisioned | UnixFileMode.OtherRead);

        var (code, _, err) = await CliRun.InvokeAsync("validate", "--config", withPassword);
        var (plainCode, _, plainErr) = await CliRun.InvokeAsync("validate", "--config", withoutPassword);

        Assert.True(code == 0, err);
        Assert.True(plainCode == 0, plainErr);
    }

    [Fact]
    public void Run_starts_over_a_password_others_may_read_and_warns()
    {
        var path = SampleCopy(_dir.File("etc"), password: "s3cret");
        File.SetUnixFileMode(path, Provisioned | UnixFileMode.OtherRead);
        using var error = new StringWriter();

        var loaded = RunVerbHandler.Load(path, simulate: true, error, warn: true);

        Assert.NotNull(loaded);
        Assert.Contains($"warning: {path}: file '{path}' holds mqtt.password and is readable by others", error.ToString(), StringComparison.Ordinal);
    }

    private static string SampleCopy(string folder, string? password = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "appsettings.json");
        File.Copy(TestConfigs.SamplePath, path, overwrite: true);
        if (password is not null)
        {
            // A broker on loopback: a password may go there in clear text.
            var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var mqtt = root["EdgeGuard"]!["mqtt"]!;
            mqtt["host"] = "127.0.0.1";
            mqtt["username"] = "gw-1";
            mqtt["password"] = password;
            File.WriteAllText(path, root.ToJsonString());
        }

        return path;
    }
}
