using System.Text.Json;

namespace EdgeGuard.Mqtt.Contract;

/// <summary>
/// The topic map of one gateway: every topic of the v1 contract under
/// <c>edgeguard/v1/{site}/{gateway}</c>. Site, gateway and point ids are whole topic levels, so
/// they are validated here: a level must be non-empty and must not contain <c>/</c>, <c>+</c>,
/// <c>#</c> or NUL, which would change which topics a subscription matches.
/// </summary>
public sealed class Topics
{
    /// <summary>First two levels of every topic of contract version 1.</summary>
    public const string Prefix = "edgeguard/v1";

    /// <summary>Builds the topic map of one gateway.</summary>
    /// <exception cref="ArgumentException">The site or gateway id is not a valid topic level.</exception>
    public Topics(string site, string gateway)
    {
        ValidateLevel(site, nameof(site));
        ValidateLevel(gateway, nameof(gateway));
        Site = site;
        Gateway = gateway;
        EventSiteAndGateway = [
            .. "\",\"site\":\""u8, .. JsonEncodedText.Encode(site).EncodedUtf8Bytes,
            .. "\",\"gateway\":\""u8, .. JsonEncodedText.Encode(gateway).EncodedUtf8Bytes,
            .. "\",\"seq\":"u8];
        Root = $"{Prefix}/{site}/{gateway}";
        Availability = Root + "/availability";
        Events = Root + "/events";
        LockdownState = Root + "/state/lockdown";
        DeliveryState = Root + "/state/delivery";
        PointStatePrefix = Root + "/state/points/";
        Commands = Root + "/commands";
        CommandResults = Root + "/command-results";
    }

    /// <summary>
    /// The event payload's bytes from the id's closing quote to the seq's value,
    /// <c>","site":"{site}","gateway":"{gateway}","seq":</c>, encoded once (<see cref="EventPayload"/>).
    /// </summary>
    internal byte[] EventSiteAndGateway { get; }

    /// <summary>The site id (the third topic level).</summary>
    public string Site { get; }

    /// <summary>The gateway id (the fourth topic level).</summary>
    public string Gateway { get; }

    /// <summary><c>edgeguard/v1/{site}/{gateway}</c>.</summary>
    public string Root { get; }

    /// <summary><c>{root}/availability</c>: <c>online</c>/<c>offline</c>, QoS 1, retained; the Last Will.</summary>
    public string Availability { get; }

    /// <summary><c>{root}/events</c>: journaled events, QoS 1, not retained, in seq order.</summary>
    public string Events { get; }

    /// <summary><c>{root}/state/lockdown</c>: current safety mode, QoS 1, retained.</summary>
    public string LockdownState { get; }

    /// <summary><c>{root}/state/delivery</c>: whether the broker refuses the event at the head, QoS 1, retained.</summary>
    public string DeliveryState { get; }

    /// <summary><c>{root}/state/points/</c>: prefix of the per-point state topics.</summary>
    public string PointStatePrefix { get; }

    /// <summary><c>{root}/commands</c>: signed commands from the office (office → gateway).</summary>
    public string Commands { get; }

    /// <summary><c>{root}/command-results</c>: results of commands (gateway → office).</summary>
    public string CommandResults { get; }

    /// <summary><c>{root}/state/points/{point}</c>: one point's current state, QoS 1, retained.</summary>
    /// <exception cref="ArgumentException">The point id is not a valid topic level.</exception>
    public string PointState(string point)
    {
        ValidateLevel(point, nameof(point));
        return PointStatePrefix + point;
    }

    /// <summary>Whether <paramref name="level"/> can be used as one whole topic level.</summary>
    public static bool IsValidLevel(string? level) =>
        !string.IsNullOrEmpty(level) && level.AsSpan().IndexOfAny('/', '+', '#') < 0 && !level.Contains('\0', StringComparison.Ordinal);

    /// <summary>Throws unless <paramref name="level"/> can be used as one whole topic level.</summary>
    /// <exception cref="ArgumentException">The value is empty or contains <c>/</c>, <c>+</c>, <c>#</c> or NUL.</exception>
    public static void ValidateLevel(string? level, string paramName)
    {
        if (!IsValidLevel(level))
        {
            throw new ArgumentException(
                $"'{level}' is not a valid MQTT topic level: it must be non-empty and must not contain '/', '+', '#' or NUL.", paramName);
        }
    }
}
