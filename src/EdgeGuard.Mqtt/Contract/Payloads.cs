using System.Buffers;
using System.Text.Json;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Contract;

/// <summary>
/// Writes the JSON payloads of contract v1 with <see cref="Utf8JsonWriter"/> (no reflection, so
/// trim- and AOT-safe). Field order is fixed and documented in the README; every timestamp has the
/// one form <c>2026-11-23T19:00:00.123Z</c> (UTC, milliseconds), so timestamps sort as strings.
/// </summary>
public static partial class Payloads
{
    /// <summary>Schema version written as <c>v</c> in every JSON payload.</summary>
    public const int Version = 1;

    /// <summary>Birth payload of the availability topic.</summary>
    public const string Online = "online";

    /// <summary>Last Will (and orderly shutdown) payload of the availability topic.</summary>
    public const string Offline = "offline";

    /// <summary>Content type of every JSON payload.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>Content type of the plain-text availability payload.</summary>
    public const string TextContentType = "text/plain";

    /// <summary>Data written in place of a journaled <c>DataJson</c> that is not a JSON object.</summary>
    public const string EmptyData = "{}";

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Formats an instant as ISO 8601 UTC with exactly three fractional digits and <c>Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset at) => WireTime.Format(at);

    /// <summary>The wire name of a severity: <c>info</c>, <c>warning</c>, <c>alarm</c>, <c>critical</c>.</summary>
    public static string SeverityName(Severity severity) => severity switch
    {
        Severity.Info => "info",
        Severity.Warning => "warning",
        Severity.Alarm => "alarm",
        Severity.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown severity."),
    };

    /// <summary>The wire name of a site mode (camelCase): <c>normal</c>, <c>lockdown</c>, <c>evacuation</c>, <c>shelterInPlace</c>.</summary>
    public static string ModeName(SiteMode mode) => ScenarioWire.Mode(mode);

    /// <summary>
    /// The payload of <c>{root}/events</c>. <c>point</c> and <c>zone</c> are omitted when null;
    /// <c>data</c> is the journaled JSON object embedded as it is.
    /// </summary>
    /// <param name="record">The journaled event.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="replayed">True when the record was journaled before the current connection.</param>
    /// <param name="dataEmbedded">
    /// False when <see cref="JournalRecord.DataJson"/> was not a JSON object and <c>{}</c> was written
    /// instead (the journal keeps the original); the caller should log it.
    /// </param>
    public static byte[] Event(JournalRecord record, Topics topics, bool replayed, out bool dataEmbedded)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(topics);
        return EventPayload.Write(record, topics, replayed, out dataEmbedded);
    }

    /// <summary>The payload of <c>{root}/state/lockdown</c>; nullable fields are written as null.</summary>
    /// <param name="state">The controller's current state.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="now">When this state message is produced (<c>ts</c>).</param>
    public static byte[] LockdownState(SiteState state, Topics topics, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(topics);
        var writer = StartState(topics);
        writer.WriteString("mode", ModeName(state.Mode));
        var lockdown = state.Lockdown;
        WriteNullableString(writer, "cause", lockdown?.Cause);
        WriteNullableString(writer, "point", lockdown?.Point);
        if (lockdown is null)
        {
            writer.WriteNull("since");
        }
        else
        {
            WriteTimestamp(writer, Names.Since, lockdown.Since);
        }

        WriteNullableString(writer, "scenario", lockdown?.Scenario);
        writer.WriteBoolean("drill", lockdown?.Drill ?? false);
        ScenarioWire.WriteSuspended(writer, state.Suspended);
        writer.WriteBoolean("sirenSounding", state.SirenSounding);
        writer.WriteBoolean("fireEgressReleased", state.FireEgressReleased);
        writer.WriteNumber("threatLevel", state.ThreatLevel);
        WriteTimestamp(writer, Names.Ts, now);
        writer.WriteEndObject();
        return Return(writer);
    }

    /// <summary>The payload of <c>{root}/state/points/{point}</c>.</summary>
    /// <param name="point">The point id.</param>
    /// <param name="active">Whether the point is (filtered) active.</param>
    /// <param name="bypassedUntil">When the office's bypass of the point ends; null when it is in service.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="now">When this state message is produced (<c>ts</c>).</param>
    public static byte[] PointState(string point, bool active, DateTimeOffset? bypassedUntil, Topics topics, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(topics);
        var writer = StartState(topics);
        writer.WriteString("point", point);
        writer.WriteBoolean("active", active);
        if (bypassedUntil is { } until)
        {
            WriteTimestamp(writer, Names.BypassedUntil, until);
        }
        else
        {
            writer.WriteNull("bypassedUntil");
        }

        WriteTimestamp(writer, Names.Ts, now);
        writer.WriteEndObject();
        return Return(writer);
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset at)
    {
        Span<byte> text = stackalloc byte[WireTime.Length];
        WireTime.FormatUtf8(at, text);
        writer.WriteString(name, text);
    }

    // Property names the state payloads write on every message, encoded once.
    private static class Names
    {
        public static readonly JsonEncodedText Since = JsonEncodedText.Encode("since");
        public static readonly JsonEncodedText BypassedUntil = JsonEncodedText.Encode("bypassedUntil");
        public static readonly JsonEncodedText Ts = JsonEncodedText.Encode("ts");
    }

    // The opening every retained state payload shares: version, site and gateway.
    private static Utf8JsonWriter StartState(Topics topics)
    {
        var writer = Rent();
        writer.WriteStartObject();
        writer.WriteNumber("v", Version);
        writer.WriteString("site", topics.Site);
        writer.WriteString("gateway", topics.Gateway);
        return writer;
    }

    private static Utf8JsonWriter Rent()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        if (t_writer is { } writer)
        {
            writer.Reset(buffer);
            return writer;
        }

        return t_writer = new Utf8JsonWriter(buffer);
    }

    private static byte[] Return(Utf8JsonWriter writer)
    {
        writer.Flush();
        var bytes = t_buffer!.WrittenSpan.ToArray();
        t_buffer.ResetWrittenCount();
        return bytes;
    }
}
