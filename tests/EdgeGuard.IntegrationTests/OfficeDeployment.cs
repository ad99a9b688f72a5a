using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The office side as deploy/office ships it: a PKI made by <c>deploy/office/certs.sh</c> in a temp
/// folder and a real Mosquitto started from <c>deploy/office/mosquitto.conf</c>, with only the
/// listener (loopback, free port), the file paths and the user rewritten.
/// </summary>
internal sealed class OfficeDeployment : IAsyncDisposable
{
    /// <summary>Directives the test rewrites; each must occur exactly once in the shipped file.</summary>
    private static readonly string[] Rewritten = ["listener", "persistence_location", "log_dest", "user", "pid_file"];

    private const string InstalledFolder = "/etc/mosquitto/edgeguard/";

    private OfficeDeployment(string root, string pki)
    {
        Root = root;
        Pki = pki;
    }

    /// <summary>The temp folder (PKI and the broker's files).</summary>
    public string Root { get; }

    /// <summary>certs.sh's <c>--dir</c>.</summary>
    public string Pki { get; }

    /// <summary>The running broker, after <see cref="StartBrokerAsync"/>.</summary>
    public MosquittoBroker Broker { get; private set; } = null!;

    /// <summary>Creates the CA and the broker certificate (localhost, 127.0.0.1) with certs.sh.</summary>
    public static async Task<OfficeDeployment> CreateAsync()
    {
        var root = Directory.CreateTempSubdirectory("edgeguard-office-").FullName;
        var office = new OfficeDeployment(root, Path.Combine(root, "pki"));
        await office.CertsAsync("init-ca", "--name", "EdgeGuard test office CA");
        await office.CertsAsync("broker", "localhost", "--ip", "127.0.0.1");
        return office;
    }

    /// <summary>Runs <c>deploy/office/certs.sh --dir PKI ARGS</c>; fails the test with its output unless it exits 0.</summary>
    public async Task<string> CertsAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepositoryRoot(), "deploy", "office", "certs.sh"), "--dir", Pki },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await error;
        Assert.True(process.ExitCode == 0, $"certs.sh {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text;
    }

    /// <summary>Starts Mosquitto from the shipped config.</summary>
    public async Task StartBrokerAsync() =>
        Broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Config = ShippedConfig });

    /// <summary>The folder certs.sh filled for a gateway or office client (ca.crt, NAME.crt, NAME.key).</summary>
    public string Folder(string kind, string name) => Path.Combine(Pki, kind, name);

    /// <summary>The folder a revoked certificate was moved to.</summary>
    public string RevokedFolder(string name) => Assert.Single(Directory.GetDirectories(Path.Combine(Pki, "revoked"), $"{name}-*"));

    /// <summary>
    /// The gateway's own MQTT options (as <c>mqtt.tls.*</c> configures them) for the certificate in
    /// <paramref name="folder"/>: pinned to the office CA, broker name checked against 127.0.0.1.
    /// </summary>
    public MqttPublisherOptions GatewayOptions(string site, string gateway, string folder, string certificateName, string clientId) => new()
    {
        Site = site,
        Gateway = gateway,
        Host = "127.0.0.1",
        Port = Broker.Port,
        ClientId = clientId,
        Tls = new MqttTlsOptions
        {
            CaCertificateFile = Path.Combine(folder, "ca.crt"),
            ClientCertificateFile = Path.Combine(folder, $"{certificateName}.crt"),
            ClientKeyFile = Path.Combine(folder, $"{certificateName}.key"),
            // The office CA publishes no CRL URL; the broker is pinned to it (deploy/office/README.md).
            RevocationMode = X509RevocationMode.NoCheck,
        },
    };

    /// <summary>An office client's MQTTnet TLS: its certs.sh certificate, the broker pinned to the office CA.</summary>
    public Action<MqttClientTlsOptionsBuilder> OfficeTls(string name)
    {
        var folder = Folder("office", name);
        return OfficeTlsClient.Tls(Path.Combine(folder, "ca.crt"), Path.Combine(folder, $"{name}.crt"), Path.Combine(folder, $"{name}.key"));
    }

    /// <summary>The shipped mosquitto.conf for a broker on 127.0.0.1:<paramref name="port"/> keeping its data in <paramref name="directory"/>.</summary>
    private string ShippedConfig(int port, string directory)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "deploy", "office", "mosquitto.conf"));
        foreach (var directive in Rewritten)
        {
            Assert.True(lines.Count(l => Directive(l) == directive) == 1, $"deploy/office/mosquitto.conf should have exactly one '{directive}' line");
        }

        var brokerFiles = Path.Combine(Pki, "broker") + "/";
        var config = lines.Select(line => Directive(line) switch
        {
            "listener" => $"listener {port} 127.0.0.1",
            "persistence_location" => $"persistence_location {directory}/",
            "log_dest" => $"log_dest file {directory}/mosquitto.log",
            // Root would drop to 'mosquitto', which cannot read the temp folder.
            "user" => $"user {Environment.UserName}",
            "pid_file" => "",
            _ => line.Replace(InstalledFolder, brokerFiles, StringComparison.Ordinal),
        });
        return string.Join('\n', config) + "\n";
    }

    private static string? Directive(string line)
    {
        var trimmed = line.TrimStart();
        return trimmed.Length == 0 || trimmed[0] == '#' ? null : trimmed.Split(' ', 2)[0];
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeGuard.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EdgeGuard.sln not found above the test directory.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        Directory.Delete(Root, recursive: true);
    }
}
