using System.Collections.Immutable;
using System.Security.Cryptography;

namespace EdgeGuard.Core.Commands;

/// <summary>Signs commands with an operator's private key (office tooling and tests; the gateway only verifies).</summary>
public static class CommandSigner
{
    /// <summary>
    /// <paramref name="command"/> with its signature set: ECDSA P-256 / SHA-256 over
    /// <see cref="CommandEnvelope.SigningBytes"/>, IEEE P1363 format (r‖s, 64 bytes).
    /// </summary>
    public static CommandEnvelope Sign(CommandEnvelope command, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256)
        {
            throw new CryptographicException("operator keys are ECDSA P-256");
        }

        var signature = key.SignData(command.SigningBytes(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return command with { Signature = [.. signature] };
    }

    /// <summary>An unsigned command issued at <paramref name="issuedAt"/> (truncated to milliseconds, as the wire carries it).</summary>
    public static CommandEnvelope Create(
        CommandType type, string site, string gateway, string @operator, DateTimeOffset issuedAt, TimeSpan ttl, JsonObjectItem? args = null, string? id = null)
    {
        var issued = new DateTimeOffset(issuedAt.UtcTicks - (issuedAt.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        return new CommandEnvelope(
            id ?? Guid.CreateVersion7(issued).ToString("D"),
            type, site, gateway, @operator, issued, issued + ttl, args ?? JsonObjectItem.Empty, ImmutableArray<byte>.Empty);
    }
}
