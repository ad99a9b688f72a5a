using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>validate</c> holds the gateway's own TLS files to the rules operator key files already meet: a
/// private key readable by others (anyone on the gateway could take its broker identity and derive
/// its client ids), or any TLS file or its folder writable by group or others (anyone could pin
/// their own broker, or put in their own certificate), is a config error at that setting, listed
/// with every other problem. Provisioning installs them as key 0640 root:edgeguard, the
/// certificates 0644, in a 0750 root:edgeguard folder, which passes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsFileModesConfigTests : IDisposable
{
    private const UnixFileMode Provisioned = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private const UnixFileMode Certificate = Provisioned | UnixFileMode.OtherRead;
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;
    private readonly (string Cert, string Key) _client;

    public TlsFileModesConfigTests()
    {
        _pki = new TestPki(_dir.Path);
        _client = _pki.IssueClient("gw-chancery");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_modes_provisioning_installs_pass()
    {
        File.SetUnixFileMode(_pki.CaFile, Certificate);
        File.SetUnixFileMode(_client.Cert, Certificate);
        File.SetUnixFileMode(_client.Key, Provisioned);

        var result = WithTls(_pki.CaFile, _client.Cert, _client.Key);

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void A_private_key_readable_by_others_is_an_error_at_the_key_file()
    {
        File.SetUnixFileMode(_client.Key, Certificate);

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, _client.Key), "EdgeGuard:mqtt:tls:keyFile",
            $"file '{_client.Key}' is readable by others (mode 0644)", "chmod o-r");
    }

    // 0640 lets the file's group read the gateway's broker identity: only a group the service
    // itself is in (provisioning: root:edgeguard, validated as the service's user) may. Gid 100 is
    // 'users' on Debian; on Raspberry Pi OS the login user is in it.
    [Fact]
    public void A_private_key_readable_by_a_foreign_group_is_an_error_at_the_key_file()
    {
        File.SetUnixFileMode(_client.Key, Provisioned);
        Chgrp(_client.Key, 100);

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, _client.Key), "EdgeGuard:mqtt:tls:keyFile",
            $"file '{_client.Key}' is readable by group 100 (mode 0640)", "chmod g-r");
    }

    [Fact]
    public void A_certificate_readable_by_a_foreign_group_passes()
    {
        File.SetUnixFileMode(_client.Cert, Provisioned);
        Chgrp(_client.Cert, 100);

        Assert.True(WithTls(_pki.CaFile, _client.Cert, _client.Key).IsValid);
    }

    [Theory]
    [InlineData("caFile", 0b110_110_100)]
    [InlineData("certFile", 0b110_100_110)]
    [InlineData("keyFile", 0b110_110_000)]
    public void A_tls_file_writable_by_group_or_others_is_an_error_at_its_setting(string setting, int mode)
    {
        var file = setting switch { "caFile" => _pki.CaFile, "certFile" => _client.Cert, _ => _client.Key };
        File.SetUnixFileMode(file, (UnixFileMode)mode);

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, _client.Key), $"EdgeGuard:mqtt:tls:{setting}",
            $"file '{file}' is writable by group or others (mode 0{Convert.ToString(mode, 8)})", "chmod go-w");
    }

    [Fact]
    public void A_tls_folder_writable_by_group_or_others_is_an_error_for_each_file_in_it()
    {
        var folder = Directory.CreateDirectory(_dir.File("tls")).FullName;
        var ca = Path.Combine(folder, "ca.pem");
        var key = Path.Combine(folder, "gateway.key");
        File.Move(_pki.CaFile, ca);
        File.Move(_client.Key, key);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_101);

        var result = WithTls(ca, _client.Cert, key);

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:caFile", $"in directory '{folder}', which is writable by group or others (mode 0775)");
        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:keyFile", $"in directory '{folder}', which is writable by group or others");
    }

    [Fact]
    public void Mode_problems_are_listed_with_every_other_problem()
    {
        File.SetUnixFileMode(_pki.CaFile, (UnixFileMode)0b110_110_110);
        File.SetUnixFileMode(_client.Key, Certificate);

        var result = TestConfigs.Read(
            k =>
            {
                k.Set("mqtt:host", "broker.office.example");
                k.Set("mqtt:port", "not-a-port");
                k.Set("mqtt:tls:caFile", _pki.CaFile);
                k.Set("mqtt:tls:certFile", _client.Cert);
                k.Set("mqtt:tls:keyFile", _client.Key);
            },
            loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:caFile", "writable by group or others");
        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:keyFile", "readable by others");
        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:mqtt:port");
    }

    // run does not hold the files to it: a mode that changed after provisioning must not keep the
    // gateway from protecting the site; validate (provisioning, the technician) is where it is fixed.
    [Fact]
    public void Run_does_not_refuse_to_start_over_a_mode()
    {
        File.SetUnixFileMode(_client.Key, Certificate);

        Assert.True(WithTls(_pki.CaFile, _client.Cert, _client.Key, loadFiles: false).IsValid);
    }

    internal static void Chgrp(string path, int group)
    {
        using var chgrp = System.Diagnostics.Process.Start("chgrp", [group.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        chgrp.WaitForExit();
        Assert.Equal(0, chgrp.ExitCode);
    }

    private static ConfigResult WithTls(string ca, string cert, string key, bool loadFiles = true) =>
        TestConfigs.ReadWithTls(ca, cert, key, loadFiles);
}
