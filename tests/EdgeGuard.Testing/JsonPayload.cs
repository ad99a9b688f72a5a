using System.Text.Json;

namespace EdgeGuard.Testing;

/// <summary>An MQTT payload parsed as JSON, detached from its document so receipts can hold it.</summary>
internal static class JsonPayload
{
    public static JsonElement Parse(byte[] payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }
}
