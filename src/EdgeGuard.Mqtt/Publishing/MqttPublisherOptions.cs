using System.Net;
using System.Text;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Everything the <see cref="OutboxPublisher"/> needs to reach the office broker. Immutable; build it
/// with an object initializer (or <c>with</c>) and check it with <see cref="Validate"/>.
/// </summary>
public sealed record MqttPublisherOptions
{
    private readonly string? _clientId;
    private readonly string? _commandsClientId;

    /// <summary>Site id: the third topic level.</summary>
    public required string Site { get; init; }

    /// <summary>Gateway id: the fourth topic level, and the CN of the gateway's client certificate.</summary>
    public required string Gateway { get; init; }

    /// <summary>Broker host name or IP address.</summary>
    public required string Host { get; init; }

    /// <summary>Broker port; null means 8883 with TLS and 1883 without.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// This process's instance id on availability messages and command results; defaults to
    /// <see cref="ProcessInstance.Id"/>, random per process. Settable for tests that run two
    /// gateways in one process.
    /// </summary>
    public string Instance { get; init; } = ProcessInstance.Id;

    /// <summary>
    /// The publisher's MQTT client id; defaults to the readable <c>edgeguard-{gateway}</c>. The
    /// publisher and the command subscriber replace the default with one derived from the gateway's
    /// secret (<see cref="ClientIds.Resolve"/>); one set here is kept.
    /// </summary>
    public string ClientId
    {
        get => _clientId ?? ClientIds.Readable(Gateway);
        init => _clientId = value;
    }

    /// <summary>
    /// The command subscriber's MQTT client id: distinct from <see cref="ClientId"/>, so the two
    /// never take over each other's session. Defaults to <see cref="ClientId"/> with <c>-commands</c>.
    /// </summary>
    public string CommandsClientId
    {
        get => _commandsClientId ?? ClientId + "-commands";
        init => _commandsClientId = value;
    }

    /// <summary>Whether <see cref="ClientId"/> was set rather than defaulted.</summary>
    internal bool ClientIdSet => _clientId is not null;

    /// <summary>
    /// MQTT keep-alive. The broker publishes the Last Will after 1.5 × this without traffic, so it
    /// bounds how late the office learns about a dead path (EN 50131 wants ~10-100 s). Default 10 s;
    /// at least 2 s (why: <see cref="Validate"/>).
    /// </summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connect or a PUBACK may take before the link is considered dead. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>TLS settings; TLS is on by default.</summary>
    public MqttTlsOptions Tls { get; init; } = new();

    /// <summary>User name, when the broker authenticates with a password rather than a client certificate.</summary>
    public string? Username { get; init; }

    /// <summary>Password for <see cref="Username"/>. Never printed by <see cref="object.ToString"/>.</summary>
    public string? Password { get; init; }

    /// <summary>First reconnect delay (before jitter). Default 0.5 s.</summary>
    public TimeSpan ReconnectDelayMin { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest reconnect delay; the delay doubles per failed attempt up to this. Default 30 s.</summary>
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most QoS 1 publishes awaiting PUBACK at once (pipelining). The broker's Receive Maximum lowers
    /// it further when smaller. Default 64.
    /// </summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>How many records are read from the outbox at once. Default 256. (The delivery
    /// cursor is the journal's to write: <c>EventJournal.CursorWriteInterval</c>.)</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Shortest time between two publishes of one point's retained state after its events; a point
    /// that changes faster has its refreshes coalesced into one, with the latest state, once the
    /// interval has passed. Reconnects republish every state at once regardless. Default 250 ms;
    /// zero refreshes after every point event.
    /// </summary>
    public TimeSpan StateRefreshInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often, while every journaled event is delivered and nothing else is due, the retained
    /// state topics are compared with the site's current state. A topic found out of date at two
    /// checks in a row, the same way, is republished: its change came with no event that refreshes
    /// it (a journal on read-only storage hands out none, a full one drops point changes). So the
    /// office learns such a change within about two intervals; each check is one idle wake-up.
    /// Default 1 s; 10 ms to 60 s.
    /// </summary>
    public TimeSpan StateCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    // Longer than this, a stale cursor or a stale retained state stops being a detail.
    private static readonly TimeSpan MaxCoalescing = TimeSpan.FromSeconds(60);

    // Shorter than this, the checks would be idle wake-ups that compare state for no benefit.
    private static readonly TimeSpan MinStateCheck = TimeSpan.FromMilliseconds(10);

    /// <summary>The port actually used.</summary>
    public int EffectivePort => Port ?? DefaultPort(Tls.Enabled);

    /// <summary>The IANA port of MQTT over TLS (8883) or over plain TCP (1883).</summary>
    /// <param name="tls">Whether the connection uses TLS.</param>
    /// <returns>The port a broker listens on for it unless told otherwise.</returns>
    public static int DefaultPort(bool tls) => tls ? 8883 : 1883;

    /// <summary>Every problem with these options, as sentences; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Topics.IsValidLevel(Site))
        {
            errors.Add($"site '{Site}' is not a valid MQTT topic level (no '/', '+', '#', not empty)");
        }

        if (!Topics.IsValidLevel(Gateway))
        {
            errors.Add($"gateway '{Gateway}' is not a valid MQTT topic level (no '/', '+', '#', not empty)");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            errors.Add("host is empty");
        }

        if (Port is < 1 or > 65535)
        {
            errors.Add($"port {Port} is outside 1-65535");
        }

        if (string.IsNullOrEmpty(ClientId) || Encoding.UTF8.GetByteCount(ClientId) > 65535
            || string.IsNullOrEmpty(CommandsClientId) || Encoding.UTF8.GetByteCount(CommandsClientId) > 65535)
        {
            errors.Add("client id must be 1 to 65535 bytes");
        }

        if (!ProcessInstance.IsValid(Instance))
        {
            errors.Add($"instance '{Instance}' is not 16 lower-case hex digits");
        }

        // Not 1 s: Mosquitto counts a client's silence in whole seconds and allows keep-alive × 3 / 2
        // of them, so at 1 s it may drop a client silent for just over 1 s, while MQTTnet pings
        // only after 1 to 1.25 s without a send (seen in CI: a connection dropped mid-flood).
        if (KeepAlive < TimeSpan.FromSeconds(2) || KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue))
        {
            errors.Add($"keep-alive {KeepAlive} is outside 2 s to 65535 s");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add("timeout must be positive");
        }

        if (ReconnectDelayMin <= TimeSpan.Zero || ReconnectDelayMax < ReconnectDelayMin)
        {
            errors.Add($"reconnect delays must satisfy 0 < min ({ReconnectDelayMin}) <= max ({ReconnectDelayMax})");
        }

        if (MaxInFlight is < 1 or > ushort.MaxValue)
        {
            errors.Add($"max in-flight {MaxInFlight} is outside 1-65535");
        }

        if (BatchSize < 1)
        {
            errors.Add($"batch size {BatchSize} must be at least 1");
        }

        if (StateRefreshInterval < TimeSpan.Zero || StateRefreshInterval > MaxCoalescing)
        {
            errors.Add($"state refresh interval {StateRefreshInterval} is outside 0 to {MaxCoalescing.TotalSeconds:0} s");
        }

        if (StateCheckInterval < MinStateCheck || StateCheckInterval > MaxCoalescing)
        {
            errors.Add($"state check interval {StateCheckInterval} is outside {MinStateCheck.TotalMilliseconds:0} ms to {MaxCoalescing.TotalSeconds:0} s");
        }

        ValidateCredentials(errors);
        ValidateTls(errors);
        return errors;
    }

    /// <summary>Throws when <see cref="Validate"/> finds a problem; returns the options otherwise.</summary>
    /// <exception cref="ArgumentException">The options are not usable; the message lists every problem.</exception>
    public MqttPublisherOptions ThrowIfInvalid()
    {
        var errors = Validate();
        return errors.Count == 0
            ? this
            : throw new ArgumentException("Invalid MQTT publisher options: " + string.Join("; ", errors) + ".");
    }

    private void ValidateCredentials(List<string> errors)
    {
        if (Password is not null && Username is null)
        {
            errors.Add("a password is set without a user name");
        }

        if (Username is not null && !Tls.Enabled && !IsLoopbackHost(Host))
        {
            errors.Add($"credentials would cross the network in clear text: enable TLS to reach {Host}");
        }
    }

    private void ValidateTls(List<string> errors)
    {
        if (!Tls.Enabled)
        {
            return;
        }

        if ((Tls.ClientCertificateFile is null) != (Tls.ClientKeyFile is null))
        {
            errors.Add("tls: the client certificate and its key file must be set together");
        }

        // Whether the files exist is not checked here: it is the state of the disk, which a
        // certificate rotation changes while the gateway runs, not of these options. A publisher
        // refusing to be built over a missing key would take the whole host, locks included, down
        // with it. See MqttTlsOptions.FileProblems for the one rule.
    }

    /// <summary>True for <c>localhost</c> and loopback IP literals: traffic that never leaves the machine.</summary>
    public static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    // Records print every property; the password must never reach a log line.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Site = {Site}, Gateway = {Gateway}, Host = {Host}, Port = {EffectivePort}, ClientId = {ClientId}, CommandsClientId = {CommandsClientId}, ");
        builder.Append($"KeepAlive = {KeepAlive}, Timeout = {Timeout}, Tls = {Tls}, Username = {Username}, ");
        builder.Append($"Password = {(Password is null ? "(none)" : "***")}, ReconnectDelayMin = {ReconnectDelayMin}, ");
        builder.Append($"ReconnectDelayMax = {ReconnectDelayMax}, MaxInFlight = {MaxInFlight}, BatchSize = {BatchSize}, ");
        builder.Append($"StateRefreshInterval = {StateRefreshInterval}, ");
        builder.Append($"StateCheckInterval = {StateCheckInterval}, Instance = {Instance}");
        return true;
    }
}
