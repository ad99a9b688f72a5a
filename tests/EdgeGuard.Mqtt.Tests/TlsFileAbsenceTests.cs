using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Why a TLS file is not usable before it is read (<see cref="TlsFile.Absence(string)"/>). A file
/// behind a directory the service cannot enter is there: "does not exist" would send a technician
/// looking for it. Root, who runs these tests, enters every directory, so the runtime's refusal of
/// the look (UnauthorizedAccessException, as .NET maps EACCES) is injected; the rest is the real
/// file system.
/// </summary>
public sealed class TlsFileAbsenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_file_behind_a_directory_the_service_cannot_enter_cannot_be_read_rather_than_missing()
    {
        var path = _dir.File("closed/ca.pem");

        var absence = TlsFile.Absence(path, _ => false, _ => false, _ => throw new UnauthorizedAccessException($"Access to the path '{path}' is denied."));

        Assert.Equal("cannot be read (permission denied)", absence);
    }

    [Fact]
    public void The_file_system_tells_a_file_a_directory_and_nothing_apart()
    {
        var file = _dir.File("ca.pem");
        File.WriteAllText(file, "x");

        Assert.Null(TlsFile.Absence(file));
        Assert.Equal("does not exist", TlsFile.Absence(_dir.File("gone.pem")));
        Assert.Equal("does not exist", TlsFile.Absence(_dir.File("gone/ca.pem")));
        Assert.Equal("is a directory, not a file", TlsFile.Absence(_dir.Path));
    }

    // The runtime's sentence for each file: the file, its path, its setting and why.
    [Fact]
    public void Each_file_problem_names_the_setting_and_the_path()
    {
        var tls = new MqttTlsOptions { CaCertificateFile = "/etc/edgeguard/tls/ca.pem", ClientCertificateFile = "/etc/edgeguard/tls/gw.crt", ClientKeyFile = "/etc/edgeguard/tls/gw.key" };

        var problems = tls.FileProblems(path => path.EndsWith(".key", StringComparison.Ordinal) ? TlsFile.PermissionDenied : null);

        Assert.Equal(["client key file '/etc/edgeguard/tls/gw.key' (mqtt.tls.keyFile) cannot be read (permission denied)"], problems);
        var office = tls with { CaCertificateSetting = "--tls-ca", ClientCertificateSetting = "--tls-cert", ClientKeySetting = "--tls-key" };
        Assert.Equal(
            ["CA certificate file '/etc/edgeguard/tls/ca.pem' (--tls-ca) does not exist"],
            office.FileProblems(path => path.EndsWith(".pem", StringComparison.Ordinal) ? TlsFile.Missing : null));
    }
}
