using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// A command as the office sends it (docs/schemas/command.schema.json). Every field is covered by
/// the signature except <see cref="Signature"/> itself; <see cref="Site"/> and <see cref="Gateway"/>
/// name the one gateway it is for, so a command cannot be replayed to another gateway.
/// </summary>
/// <param name="Id">Lowercase UUID, unique per command; a seen id is refused (replay).</param>
/// <param name="Type">What to do.</param>
/// <param name="Site">Target site id.</param>
/// <param name="Gateway">Target gateway id.</param>
/// <param name="Operator">Who signed it: the name the gateway's operator keys are registered under.</param>
/// <param name="IssuedAt">When the office signed it (millisecond precision, UTC).</param>
/// <param name="ExpiresAt">After this the command is refused; later than <paramref name="IssuedAt"/>.</param>
/// <param name="Args">Type-specific arguments (<see cref="CommandTypes.Table"/>); empty object when none.</param>
/// <param name="Signature">ECDSA P-256 / SHA-256 over <see cref="CommandEnvelope.SigningBytes"/>, IEEE P1363 (r‖s, 64 bytes).</param>
public sealed record CommandEnvelope(
    string Id,
    CommandType Type,
    string Site,
    string Gateway,
    string Operator,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    JsonObjectItem Args,
    ImmutableArray<byte> Signature)
{
    /// <summary>Signature length in bytes (P-256 r and s, 32 bytes each).</summary>
    public const int SignatureLength = 64;

    /// <summary>Longest operator name accepted.</summary>
    public const int MaxOperatorLength = 256;

    /// <summary>
    /// Whether <paramref name="name"/> can be an operator's name: no control characters (C0, DEL,
    /// C1), no invisible format characters (Unicode category Cf: zero-width spaces and joiners,
    /// bidi overrides and isolates, the byte order mark, soft hyphen, tag characters) and no line or
    /// paragraph separators, nor the other default-ignorable code points (variation selectors, the
    /// combining grapheme joiner, Hangul fillers). Those print as nothing, so "alice" and "alice" + U+200B read the same in
    /// the journal's audit records, on a console and in the config, while the gateway compares names
    /// exactly: a forged command's claimed operator would look like a real one's. Checked by
    /// code point, so the tag characters beyond the BMP count too; the contract's pattern says the same.
    /// </summary>
    /// <param name="name">The name as read.</param>
    /// <returns>True when every character of it shows.</returns>
    public static bool IsReadableName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                || IsIgnorableOutsideFormat(rune.Value))
            {
                return false;
            }
        }

        return true;
    }

    // Unicode's Default_Ignorable_Code_Points that are not in category Cf: rendered as nothing too
    // (combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation
    // selectors, variation selectors), and the ones reserved as such (U+2065, U+FFF0-FFF8, the
    // rest of U+E0000-E0FFF), which a later Unicode may assign. The contract's pattern lists the same.
    private static bool IsIgnorableOutsideFormat(int c) =>
        c is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F) or 0x3164
            or 0x2065 or (>= 0xFE00 and <= 0xFE0F) or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0xE0000 and <= 0xE0FFF);

    /// <summary>
    /// Prepended to the canonical JSON before signing, so a signature made with an operator key
    /// for a command can never be valid for any other kind of message signed with the same key.
    /// </summary>
    public static ReadOnlySpan<byte> SigningPrefix => "edgeguard-command-v1\n"u8;

    internal static readonly string[] FieldNames = ["args", "expires_at", "gateway", "id", "issued_at", "operator", "signature", "site", "type"];

    /// <summary>The bytes the signature covers: <see cref="SigningPrefix"/> + canonical JSON of every field but <c>signature</c>.</summary>
    public byte[] SigningBytes()
    {
        var json = StrictJson.Canonical(ToJson(includeSignature: false));
        return [.. SigningPrefix, .. json];
    }

    /// <summary>The payload to publish: canonical JSON of every field, signature included.</summary>
    public byte[] ToPayload() => StrictJson.Canonical(ToJson(includeSignature: true));

    private JsonObjectItem ToJson(bool includeSignature)
    {
        var members = ImmutableSortedDictionary.CreateBuilder<string, JsonItem>(StringComparer.Ordinal);
        members["id"] = new JsonStringItem(Id);
        members["type"] = new JsonStringItem(CommandTypes.Wire(Type));
        members["site"] = new JsonStringItem(Site);
        members["gateway"] = new JsonStringItem(Gateway);
        members["operator"] = new JsonStringItem(Operator);
        members["issued_at"] = new JsonStringItem(WireTime.Format(IssuedAt));
        members["expires_at"] = new JsonStringItem(WireTime.Format(ExpiresAt));
        members["args"] = Args;
        if (includeSignature)
        {
            members["signature"] = new JsonStringItem(Convert.ToBase64String(Signature.AsSpan()));
        }

        return new JsonObjectItem(members.ToImmutable());
    }

    /// <summary>
    /// Reads a payload strictly: every field present with its one accepted form, nothing else.
    /// Returns null with <paramref name="error"/> (and <paramref name="malformed"/> true when the
    /// payload is not even JSON) and <paramref name="readableId"/> (the id if one could be read,
    /// for the result message, else empty).
    /// </summary>
    public static CommandEnvelope? TryParse(ReadOnlySpan<byte> payload, out string? error, out bool malformed, out string readableId)
    {
        readableId = "";
        malformed = true;
        if (StrictJson.TryParse(payload, out error) is not { } root)
        {
            return null;
        }

        malformed = false;
        if (root is not JsonObjectItem obj)
        {
            error = "payload must be a JSON object";
            return null;
        }

        if (obj.Members.TryGetValue("id", out var idItem) && idItem is JsonStringItem { Value.Length: <= 256 } readable && !readable.Value.Any(char.IsControl))
        {
            readableId = readable.Value;
        }

        return FromObject(obj, out error);
    }

    private static CommandEnvelope? FromObject(JsonObjectItem obj, out string? error)
    {
        foreach (var name in obj.Members.Keys)
        {
            if (Array.IndexOf(FieldNames, name) < 0)
            {
                error = $"unknown field '{name}'";
                return null;
            }
        }

        foreach (var name in FieldNames)
        {
            if (!obj.Members.ContainsKey(name))
            {
                error = $"missing field '{name}'";
                return null;
            }
        }

        string? Text(string name, out string? problem)
        {
            problem = obj.Members[name] is JsonStringItem s ? null : $"{name} must be a string";
            return (obj.Members[name] as JsonStringItem)?.Value;
        }

        var id = Text("id", out error);
        if (error is null && !CommandTypes.UuidPattern().IsMatch(id!)) { error = "id must be a lowercase UUID"; }
        var typeText = error is null ? Text("type", out error) : null;
        var type = typeText is null ? null : CommandTypes.FromWire(typeText);
        if (error is null && type is null) { error = $"type '{typeText}' is not a command type"; }
        var site = error is null ? Text("site", out error) : null;
        if (error is null && !CommandTypes.IdPattern().IsMatch(site!)) { error = "site must be 1-64 of [a-z0-9_-]"; }
        var gateway = error is null ? Text("gateway", out error) : null;
        if (error is null && !CommandTypes.IdPattern().IsMatch(gateway!)) { error = "gateway must be 1-64 of [a-z0-9_-]"; }
        var op = error is null ? Text("operator", out error) : null;
        if (error is null && (op!.Length is 0 or > MaxOperatorLength || !IsReadableName(op))) { error = "operator must be 1-256 characters, no control or invisible format characters"; }
        var issued = error is null ? Timestamp("issued_at", out error) : null;
        var expires = error is null ? Timestamp("expires_at", out error) : null;
        if (error is null && expires <= issued) { error = "expires_at must be later than issued_at"; }
        var args = obj.Members["args"] as JsonObjectItem;
        if (error is null && args is null) { error = "args must be an object"; }
        if (error is null) { error = CommandTypes.CheckArguments(type!.Value, args!); }
        var signature = error is null ? Signature(out error) : default;
        if (error is not null)
        {
            return null;
        }

        return new CommandEnvelope(id!, type!.Value, site!, gateway!, op!, issued!.Value, expires!.Value, args!, signature);

        DateTimeOffset? Timestamp(string name, out string? problem)
        {
            var text = Text(name, out problem);
            if (problem is not null)
            {
                return null;
            }

            var at = CommandTypes.TryParseTimestamp(text!);
            problem = at is null ? $"{name} {CommandTypes.TimestampProblem}" : null;
            return at;
        }

        ImmutableArray<byte> Signature(out string? problem)
        {
            var text = Text("signature", out problem);
            if (problem is not null)
            {
                return default;
            }

            var bytes = new byte[SignatureLength];
            // Re-encoding must give the same text: base64 with non-zero padding bits or other
            // slack decodes to the same bytes, and a payload should have one spelling only.
            if (!Convert.TryFromBase64String(text!, bytes, out var written) || written != SignatureLength
                || Convert.ToBase64String(bytes) != text)
            {
                problem = $"signature must be standard base64 of {SignatureLength} bytes (ECDSA P-256, IEEE P1363)";
                return default;
            }

            return [.. bytes];
        }
    }

    /// <summary>The string argument <paramref name="name"/>, or null when it is absent or not a string.</summary>
    public string? StringArgument(string name) =>
        Args.Members.TryGetValue(name, out var item) && item is JsonStringItem { Value: var text } ? text : null;

    /// <summary>The integer argument <paramref name="name"/>, or null when it is absent or not an integer.</summary>
    public long? IntegerArgument(string name) =>
        Args.Members.TryGetValue(name, out var item) && item is JsonIntegerItem { Value: var number } ? number : null;

    /// <summary>A short description for logs and the journal.</summary>
    public override string ToString() =>
        new StringBuilder().Append(CommandTypes.Wire(Type)).Append(' ').Append(Id).Append(" by ").Append(Operator)
            .Append(" for ").Append(Site).Append('/').Append(Gateway).ToString();
}
