using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>Operators with real P-256 keys, a verifier for site-a/gw-1 and helpers to sign commands.</summary>
internal sealed class CommandKit : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 19, 5, 0, TimeSpan.Zero);

    public ECDsa Guard { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public ECDsa Supervisor { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public ECDsa Supervisor2 { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public ECDsa Technician { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public ECDsa Stranger { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public InMemorySeenCommandIds Seen { get; } = new();
    public CommandVerifierOptions Options { get; } = new("site-a", "gw-1");
    public OperatorKeyRing Keys { get; }

    public CommandKit()
    {
        Keys = new OperatorKeyRing(
        [
            Key("guard.smith", OperatorRole.Guard, Guard),
            Key("sup.jones", OperatorRole.Supervisor, Supervisor),
            Key("sup.brown", OperatorRole.Supervisor, Supervisor2),
            Key("tech.lee", OperatorRole.Technician, Technician),
        ]);
    }

    public static OperatorKey Key(string name, OperatorRole role, ECDsa key) =>
        OperatorKey.FromPem(name, role, key.ExportSubjectPublicKeyInfoPem());

    public CommandVerifier Verifier(CommandVerifierOptions? options = null) => new(Keys, Seen, options ?? Options);

    public static CommandEnvelope Unsigned(CommandType type = CommandType.Lockdown, string op = "sup.jones", JsonObjectItem? args = null, DateTimeOffset? issued = null, TimeSpan? ttl = null, string gateway = "gw-1") =>
        CommandSigner.Create(type, "site-a", gateway, op, issued ?? Now, ttl ?? TimeSpan.FromSeconds(30), args, Guid.NewGuid().ToString("D"));

    public static byte[] Signed(ECDsa key, CommandEnvelope command) => CommandSigner.Sign(command, key).ToPayload();

    public byte[] Signed(CommandType type = CommandType.Lockdown, string op = "sup.jones", JsonObjectItem? args = null) =>
        Signed(KeyOf(op), Unsigned(type, op, args));

    public ECDsa KeyOf(string op) => op switch
    {
        "guard.smith" => Guard,
        "sup.jones" => Supervisor,
        "sup.brown" => Supervisor2,
        "tech.lee" => Technician,
        _ => Stranger,
    };

    public static JsonObjectItem Args(params (string Name, JsonItem Value)[] members) =>
        new(members.ToImmutableSortedDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The same signed command with a space after every comma: authentic, but other bytes.</summary>
    public static byte[] Respelt(byte[] payload) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace(",", ", ", StringComparison.Ordinal));

    public void Dispose()
    {
        Guard.Dispose();
        Supervisor.Dispose();
        Supervisor2.Dispose();
        Technician.Dispose();
        Stranger.Dispose();
    }
}
