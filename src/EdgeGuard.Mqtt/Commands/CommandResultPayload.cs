using System.Buffers;
using System.Security.Cryptography;
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

    /// <summary>
    /// <c>{"command_id":…,"payload_sha256":…,"result":…,"reason":…,"ts":…}</c>; an over-long id or
    /// reason is cut to the schema's limit. <paramref name="payloadSha256"/> is
    /// <see cref="PayloadSha256(ReadOnlySequence{byte})"/> of the request the answer is about.
    /// <paramref name="instance"/>, when given, is the answering process's instance id
    /// (<c>"instance"</c>, <see cref="Publishing.ProcessInstance"/>): which box answered.
    /// </summary>
    public static byte[] Write(string commandId, string payloadSha256, CommandResultKind kind, string? reason, DateTimeOffset ts, string? instance = null)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        ArgumentNullException.ThrowIfNull(payloadSha256);
        var buffer = new ArrayBufferWriter<byte>(320);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("command_id", TextCut.Cut(commandId, MaxCommandIdLength));
            writer.WriteString("payload_sha256", payloadSha256);
            writer.WriteString("result", Wire(kind));
            if (reason is null)
            {
                writer.WriteNull("reason");
            }
            else
            {
                // A rejection always says why (the schema requires a non-empty reason).
                writer.WriteString("reason", TextCut.Cut(reason.Length == 0 ? "rejected" : reason, MaxReasonLength));
            }

            writer.WriteString("ts", WireTime.Format(ts));
            if (instance is not null)
            {
                writer.WriteString("instance", instance);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Lower-case hex SHA-256 of a request's exact payload bytes, as received (the replay store
    /// hashes the same bytes). The result is unsigned and anyone who may publish a command can
    /// make the gateway answer with someone else's correlation data; this hash is what lets the
    /// office tell that an answer is about the bytes it sent, not a copy, variant or junk.
    /// </summary>
    public static string PayloadSha256(ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return PayloadSha256(payload.FirstSpan);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var segment in payload)
        {
            hash.AppendData(segment.Span);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="payload"/> (the office hashes what it publishes).</summary>
    public static string PayloadSha256(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));
}
