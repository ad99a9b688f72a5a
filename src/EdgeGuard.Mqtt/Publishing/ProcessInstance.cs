using System.Security.Cryptography;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// A random id of this gateway process, made at start: 16 lower-case hex digits. It rides on
/// every availability message (user property <c>instance</c>) and command result, so the office
/// can see two boxes answering to one gateway id (a cloned card: same key, same client ids, even
/// the same session) and tell which one answered a command. Random, not derived from anything
/// on the card: a clone copies everything on the card.
/// </summary>
public static class ProcessInstance
{
    /// <summary>This process's instance id.</summary>
    public static string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Whether <paramref name="value"/> is shaped as an instance id: 16 lower-case hex digits.</summary>
    public static bool IsValid(string? value) =>
        value is { Length: 16 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
