using System.Buffers;
using System.Text.Json;
using EdgeGuard.Core;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>The result values of docs/schemas/command-result.schema.json.</summary>
public enum CommandResultKind
{
    Accepted,
    Rejected,
    Done,
}

/// <summary>Writes a command result (<c>{root}/command-results</c>) with <see cref="Utf8JsonWriter"/>: no reflection, AOT-safe.</summary>
public static class CommandResultPayload
{
    /// <summary>Longest reason the schema allows.</summary>
    public const int MaxReasonLength = 1024;

    /// <summary>Longest command id the schema allows.</summary>
    public const int MaxCommandIdLength = 256;

    /// <summary>The result's wire value.</summary>
    public static string Wire(CommandResultKind kind) => kind switch
    {
        CommandResultKind.Accepted => "accepted",
        CommandResultKind.Rejected => "rejected",
        CommandResultKind.Done => "done",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary><c>{"command_id":…,"result":…,"reason":…,"ts":…}</c>; an over-long id or reason is cut to the schema's limit.</summary>
    public static byte[] Write(string commandId, CommandResultKind kind, string? reason, DateTimeOffset ts)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("command_id", Cut(commandId, MaxCommandIdLength));
            writer.WriteString("result", Wire(kind));
            if (reason is null)
            {
                writer.WriteNull("reason");
            }
            else
            {
                // A rejection always says why (the schema requires a non-empty reason).
                writer.WriteString("reason", Cut(reason.Length == 0 ? "rejected" : reason, MaxReasonLength));
            }

            writer.WriteString("ts", WireTime.Format(ts));
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // Never splits a surrogate pair: the cut text must stay valid UTF-16, hence valid UTF-8 on the wire.
    private static string Cut(string text, int max) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];
}
