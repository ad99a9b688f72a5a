using System.Net;
using System.Net.Sockets;
using EdgeGuard.Cli;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Simulation;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Simulation;

/// <summary>
/// The simulator's control socket when two simulated gateways (or a gateway and a walk test) are
/// given the same path: the one already listening keeps it.
/// </summary>
public sealed class SimulatorControlServerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly SiteDefinition Site = new(
        "site-s", "gw-s",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a")],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: false)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly string _dir = Directory.CreateTempSubdirectory("eg-simsock-").FullName;
    private readonly SimulatedGpioDriver _driver = new();

    private string Socket => Path.Combine(_dir, "gw.sock");

    public void Dispose()
    {
        _driver.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private SimulatorControlServer Server(string name) =>
        new(Socket, Site, _driver, Task.CompletedTask, () => name, NullLogger<SimulatorControlServer>.Instance);

    private string? TryStatus()
    {
        try
        {
            return StatusAsync().GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<string> StatusAsync()
    {
        await using var client = await SimulatorClient.ConnectAsync(Socket, CancellationToken.None);
        return await client.SendAsync("status", CancellationToken.None);
    }

    [Fact]
    public async Task A_second_server_on_a_socket_in_use_fails_and_leaves_the_first_one_answering()
    {
        using var first = Server("first");
        await first.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => File.Exists(Socket), Patience, "the first server's socket");

        using var second = Server("second");
        await second.StartAsync(CancellationToken.None);
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => second.ExecuteTask!.WaitAsync(Patience));
        await second.StopAsync(CancellationToken.None);

        Assert.Contains($"another simulated gateway or walk test is listening on {Socket}", failed.Message, StringComparison.Ordinal);
        Assert.Equal("first", await StatusAsync());
        await first.StopAsync(CancellationToken.None);
        Assert.False(File.Exists(Socket));
    }

    [Fact]
    public async Task A_stale_socket_file_is_taken_over_and_a_stopping_server_leaves_a_newer_ones_file()
    {
        // A gateway that died left a file there (.NET removes a socket file it bound when it is
        // disposed, so a plain file stands for it): nothing listens on it.
        File.WriteAllText(Socket, string.Empty);
        Assert.True(File.Exists(Socket));
        using var old = Server("old");
        await old.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => File.Exists(Socket) && !File.Exists(Socket + "~") && old.ExecuteTask is { IsCompleted: false }, Patience, "the old server's socket");
        await Eventually.TrueAsync(() => TryStatus() == "old", Patience, "the old server answering");

        // A newer server put its own socket there (the old one's file was removed under it).
        File.Delete(Socket);
        using var newer = Server("newer");
        await newer.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => TryStatus() == "newer", Patience, "the newer server answering");
        await old.StopAsync(CancellationToken.None);

        Assert.Equal("newer", await StatusAsync());
        await newer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_gateway_whose_socket_another_answers_on_stops_with_exit_1_and_says_why()
    {
        using var other = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        other.Bind(new UnixDomainSocketEndPoint(Socket));
        other.Listen(1);
        int port;
        using (var free = new TcpListener(IPAddress.Loopback, 0))
        {
            free.Start();
            port = ((IPEndPoint)free.LocalEndpoint).Port;
        }

        var config = Path.Combine(_dir, "gw.json");
        File.WriteAllText(config, $$"""
            { "EdgeGuard": { "site": "s", "gateway": "g", "stateDirectory": "{{Path.Combine(_dir, "state")}}",
              "mqtt": { "port": {{port}} }, "simulation": { "controlSocket": "{{Socket}}" },
              "zones": [ { "id": "z", "name": "Z" } ],
              "points": [ { "id": "p", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" },
                          { "id": "k", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "z" } ],
              "outputs": [ { "id": "s", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "z" },
                           { "id": "l", "kind": "lock", "line": 13, "activeLevel": "high", "zone": "z", "failMode": "failSecure" } ],
              "lockdown": { "clearKeyswitches": [ "k" ] } } }
            """);
        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        using var error = new StringWriter();

        var code = await RunVerbHandler.RunAsync(config, simulate: true, TextWriter.Null, error, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"edgeguard: stopped: another simulated gateway or walk test is listening on {Socket}", error.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Socket)); // the other one's, left alone
    }
}
