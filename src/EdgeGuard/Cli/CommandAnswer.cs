using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Cli;

/// <summary>
/// Which answers on the results topic <c>edgeguard command send</c> believes. Results are unsigned
/// and the correlation data is on the wire for every client of the broker to copy: anyone who may
/// publish a command can make the gateway answer junk, a variant or another command's bytes with
/// the office's correlation data (a quick <c>rejected</c>, or another command's <c>done</c>). So an
/// answer is the office's only when it also names the command's id and the SHA-256 of the exact
/// bytes the office published; any other is shown as ignored, and the tool keeps waiting.
/// </summary>
internal static class CommandAnswer
{
    // Longest piece of an ignored answer shown: enough for a hash or an id, not a screenful.
    private const int ShownLength = 64;

    // Longest reason of its own answer shown: the contract's limit for a reason.
    private const int MaxReasonShown = 1024;

    /// <summary>
    /// Reads one answer that carries the office's correlation data: <paramref name="kind"/> is
    /// <c>accepted</c>, <c>rejected</c> or <c>done</c> when it is the office's own, null when it is
    /// ignored; <paramref name="line"/> is what to print either way.
    /// </summary>
    public static void Read(ReadOnlySequence<byte> payload, string commandId, string payloadSha256, out string? kind, out string line)
    {
        kind = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            line = "ignored an answer that is not a command result (not JSON)";
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.String
                || result.GetString() is not ("accepted" or "rejected" or "done")
                || !root.TryGetProperty("command_id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                line = "ignored an answer that is not a command result";
                return;
            }

            // The hash first: an answer about other bytes may well name the office's id (a
            // whitespace variant of its command, or its id with a bad signature).
            if (!root.TryGetProperty("payload_sha256", out var hash) || hash.ValueKind != JsonValueKind.String)
            {
                line = "ignored an answer without payload_sha256 (it cannot be told from an answer about other bytes)";
                return;
            }

            if (!string.Equals(hash.GetString(), payloadSha256, StringComparison.Ordinal))
            {
                line = $"ignored an answer about other bytes (payload_sha256 {Shown(hash.GetString())}, sent {payloadSha256})";
                return;
            }

            if (!string.Equals(id.GetString(), commandId, StringComparison.Ordinal))
            {
                line = $"ignored an answer about another command (command_id {Shown(id.GetString())}, sent {commandId})";
                return;
            }

            var text = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
            if (result.GetString() == "rejected" && text is not null && text.StartsWith(CommandRejection.Retained.Code() + ":", StringComparison.Ordinal))
            {
                // This tool never publishes with the retain flag: a retained copy of its exact bytes
                // (anyone may republish them so, with its correlation data) is not its request, and
                // the gateway's quick "rejected: retained" must not pass for its command's answer.
                line = "ignored an answer about a retained copy of its bytes (this tool never sends retained)";
                return;
            }

            kind = result.GetString()!;
            line = kind + (text is null ? "" : ": " + Shown(text, MaxReasonShown));
        }
    }

    /// <summary>The command id in the bytes the office signed (the tool's own output, always readable).</summary>
    public static string CommandId(byte[] payload)
    {
        using var command = JsonDocument.Parse(payload);
        return command.RootElement.GetProperty("id").GetString()!;
    }

    // Anyone's text (results are unsigned): cut short, and no control or format characters (new
    // lines, terminal escapes, bidi overrides), so it cannot print lines or reorder text of its own.
    private static string Shown(string? text, int length = ShownLength)
    {
        text ??= "";
        // Never a half surrogate pair at the cut.
        var cut = text.Length <= length ? text.Length : char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
        var shown = new StringBuilder();
        foreach (var c in text.AsSpan(0, cut))
        {
            shown.Append(char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator ? '?' : c);
        }

        return cut < text.Length ? shown.Append('…').ToString() : shown.ToString();
    }
}
