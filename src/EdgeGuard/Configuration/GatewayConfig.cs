using System.Text;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Configuration;

/// <summary>Simulate-mode settings.</summary>
/// <param name="ControlSocket">Unix socket path where <c>edgeguard sim</c> drives the simulated lines.</param>
public sealed record SimulationOptions(string ControlSocket);

/// <summary>Broker settings. With no host in simulate mode an embedded broker is started on loopback.</summary>
/// <param name="Host">Broker host name or address; null for none configured.</param>
/// <param name="Port">Broker port (also the embedded broker's port).</param>
/// <param name="KeepAliveSeconds">MQTT keep-alive: the broker publishes the will after 1.5 × this without traffic.</param>
/// <param name="Username">Username when not using a client certificate.</param>
/// <param name="Password">Password for <paramref name="Username"/> (prefer the environment: EdgeGuard__mqtt__password).</param>
/// <param name="Tls">TLS settings; TLS is off only when <c>mqtt.tls.enabled</c> is false.</param>
public sealed record MqttOptions(
    string? Host,
    int Port,
    int KeepAliveSeconds = 10,
    string? Username = null,
    string? Password = null,
    MqttTlsOptions? Tls = null)
{
    // Records print every property; the password must never reach a log line (the whole
    // GatewayConfig prints this too). As MqttPublisherOptions does.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Host = {Host}, Port = {Port}, KeepAliveSeconds = {KeepAliveSeconds}, Username = {Username}, ");
        builder.Append($"Password = {(Password is null ? "(none)" : "***")}, Tls = {Tls}");
        return true;
    }
}

/// <summary>How much of the event journal is kept (see <see cref="JournalLimits"/>).</summary>
public sealed record JournalOptions(long MaxRecords, int MaxDeliveredAgeDays)
{
    /// <summary>The limits the journal enforces.</summary>
    public JournalLimits Limits => new(MaxRecords, TimeSpan.FromDays(MaxDeliveredAgeDays));

    /// <summary>
    /// Where the journal goes when the state directory cannot hold one (it cannot be created or
    /// written, or the open hangs): a volatile directory, systemd's <c>RuntimeDirectory</c>
    /// (<see cref="JournalOpener.DefaultFallbackDirectory"/>), lost at power-off.
    /// </summary>
    public string FallbackDirectory { get; init; } = JournalOpener.DefaultFallbackDirectory;
}

/// <summary>Everything the gateway needs from configuration, validated.</summary>
public sealed record GatewayConfig(
    SiteDefinition Site,
    HardwareOptions Hardware,
    string StateDirectory,
    SimulationOptions Simulation,
    MqttOptions Mqtt,
    JournalOptions Journal)
{
    /// <summary>Expanders, ADCs and supervised loops beyond the native GPIO lines (none by default).</summary>
    public IoBoardOptions Board { get; init; } = IoBoardOptions.None;

    /// <summary>Operator keys and command timing (<c>commands</c>); by default no operator may command the gateway.</summary>
    public CommandOptions Commands { get; init; } = CommandOptions.None;

    /// <summary>
    /// <see cref="StateDirectory"/> as a full path. The reader made it absolute already (a relative one is
    /// the configuration file's folder's, whatever the working directory); every verb that reads or writes
    /// the state takes it from here, so the gateway, the walk test and the journal tools agree on where it is.
    /// </summary>
    public string StateDirectoryPath => Path.GetFullPath(StateDirectory);
}

/// <summary>One configuration problem, with the configuration path of the offending key.</summary>
public sealed record ConfigError(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>The outcome of reading configuration: a config, or every problem found.</summary>
public sealed record ConfigResult(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>True when the configuration can be run.</summary>
    public bool IsValid => Config is not null && Errors.Count == 0;

    /// <summary>The human report of <see cref="Errors"/>; see <see cref="ConfigErrorFormatter.Format"/>.</summary>
    public string ToReport() => ConfigErrorFormatter.Format(Errors);

    /// <summary>
    /// Problems <c>run</c> starts with rather than leave the site without its controller (a TLS file
    /// that is missing: the office link stays down until it is back); <c>validate</c> reports each of
    /// them as an error instead. Empty when there are errors.
    /// </summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];
}
