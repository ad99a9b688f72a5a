using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Security.Cryptography;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// Office roles, after the EN 50131 access levels: a guard is a user (level 2), a supervisor a
/// user with authority over alarms and the two-person all-clear, a technician an installer (level 3).
/// A responder holds the first-responder override credential of commercial lockdown systems: it
/// may open a door, also one a lockdown keeps locked, and nothing else.
/// </summary>
public enum OperatorRole
{
    Guard,
    Supervisor,
    Technician,
    Responder,
}

/// <summary>The roles' names as the contract and the answers spell them.</summary>
public static class OperatorRoles
{
    /// <summary>
    /// <c>guard</c>, <c>supervisor</c>, <c>technician</c> or <c>responder</c>: spelled out per member, so renaming a
    /// member cannot change what the office receives.
    /// </summary>
    public static string Wire(OperatorRole role) => role switch
    {
        OperatorRole.Guard => "guard",
        OperatorRole.Supervisor => "supervisor",
        OperatorRole.Technician => "technician",
        OperatorRole.Responder => "responder",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };
}

/// <summary>An operator's public key as the gateway knows it.</summary>
/// <param name="Operator">The name commands carry in <c>operator</c>.</param>
/// <param name="Role">What the operator may do (<see cref="RolePermissions"/>).</param>
/// <param name="PublicKey">SubjectPublicKeyInfo (DER) of an ECDSA P-256 key.</param>
/// <param name="Sites">Sites the key may command; empty means every site.</param>
public sealed record OperatorKey(string Operator, OperatorRole Role, ImmutableArray<byte> PublicKey, ImmutableArray<string> Sites)
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Reads a PEM public key (<c>edgeguard keys new</c> writes one); refuses anything but P-256.</summary>
    public static OperatorKey FromPem(string @operator, OperatorRole role, string pem, IEnumerable<string>? sites = null)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        if (ecdsa.ExportParameters(false).Curve.Oid.Value != P256Oid)
        {
            throw new CryptographicException($"operator '{@operator}': key is not an ECDSA P-256 key");
        }

        return new(@operator, role, [.. ecdsa.ExportSubjectPublicKeyInfo()], [.. sites ?? []]);
    }

    /// <summary>Whether <paramref name="signature"/> (IEEE P1363) by this key covers <paramref name="data"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(PublicKey.AsSpan(), out _);
        // A key of another curve must not verify anything even if it slipped into the ring.
        return ecdsa.ExportParameters(false).Curve.Oid.Value == P256Oid
            && ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}

/// <summary>Looks operator keys up by name.</summary>
public interface IOperatorKeys
{
    /// <summary>The key registered for <paramref name="operator"/>, or null.</summary>
    OperatorKey? Find(string @operator);

    /// <summary>
    /// Why a configured operator has no usable key (<c>the key file does not exist</c>), when
    /// <see cref="Find"/> returned null for them; null for a name that is not configured at all.
    /// Without the file's path: it is sent on command-results, which any client of the broker can
    /// draw with an unsigned command.
    /// </summary>
    string? Unavailable(string @operator) => null;

    /// <summary>
    /// The key trusted for <paramref name="operator"/> at this moment, from memory alone: never a
    /// file read, unlike <see cref="Find"/> (which reads an unavailable operator's file again). The
    /// controller asks it as it executes each command (<see cref="CommandVerifier.KeyNoLongerTrusted"/>),
    /// on the loop that drives the locks and must never wait for a disk. Null while none is.
    /// </summary>
    OperatorKey? Trusted(string @operator) => Find(@operator);
}

/// <summary>A fixed set of operator keys (from the gateway's configuration).</summary>
public sealed class OperatorKeyRing : IOperatorKeys
{
    private readonly FrozenDictionary<string, OperatorKey> _keys;

    /// <summary>Operator names compare ordinally: "Jones" and "jones" are different people.</summary>
    public OperatorKeyRing(IEnumerable<OperatorKey> keys) =>
        _keys = keys.ToFrozenDictionary(k => k.Operator, StringComparer.Ordinal);

    /// <inheritdoc />
    public OperatorKey? Find(string @operator) => _keys.GetValueOrDefault(@operator);
}

/// <summary>
/// Which role may send which command, as one table. Remote all-clear is for supervisors only, and
/// even then needs a second supervisor (<see cref="TwoPersonApproval"/>); starting a protective
/// mode is open to guards because hesitation costs more than a false lockdown.
/// </summary>
public static class RolePermissions
{
    private const OperatorRole G = OperatorRole.Guard;
    private const OperatorRole S = OperatorRole.Supervisor;
    private const OperatorRole T = OperatorRole.Technician;
    private const OperatorRole R = OperatorRole.Responder;

    /// <summary>The roles allowed to send each command type.</summary>
    public static IReadOnlyList<(CommandType Type, OperatorRole[] Roles)> Table { get; } =
    [
        //  command                      guard supervisor technician responder
        (CommandType.Lockdown,       [G, S      ]),
        (CommandType.AllClear,       [   S      ]),   // and a second, different supervisor
        (CommandType.Evacuate,       [G, S      ]),
        (CommandType.Shelter,        [G, S      ]),
        (CommandType.DrillStart,     [   S      ]),
        (CommandType.DrillStop,      [   S      ]),
        (CommandType.Acknowledge,    [G, S      ]),
        // A technician's bypass only while a supervisor's technician-access is in force (EN 50131).
        (CommandType.Bypass,         [   S, T   ]),
        (CommandType.Unbypass,       [   S, T   ]),
        (CommandType.SetThreatLevel, [   S      ]),
        (CommandType.Rebirth,        [G, S, T   ]),
        // Like rebirth: it republishes what every office client may read anyway and changes
        // nothing on site; whoever watches the console sees the gap first and must fill it.
        (CommandType.Resend,         [G, S, T   ]),
        // Whoever may ask for the missed events may say the office has them: it only takes the
        // gateway's retained reminder down, and the journal keeps every event either way.
        (CommandType.Heard,          [G, S, T   ]),
        // A supervisor authorises installer access; the technician may end it as the job is done.
        (CommandType.TechnicianAccess,    [   S      ]),
        (CommandType.TechnicianAccessEnd, [   S, T   ]),
        // Buzzing a door open is a guard's daily work; one a lockdown or shelter keeps locked
        // opens only for a supervisor or a responder (OfficeDoorAccess refuses a guard's there).
        (CommandType.OpenDoor,       [G, S,    R]),
    ];

    private static readonly FrozenDictionary<CommandType, OperatorRole[]> ByType = Table.ToFrozenDictionary(r => r.Type, r => r.Roles);

    /// <summary>Whether <paramref name="role"/> may send <paramref name="type"/>.</summary>
    public static bool Allows(OperatorRole role, CommandType type) =>
        ByType.TryGetValue(type, out var roles) && Array.IndexOf(roles, role) >= 0;
}
