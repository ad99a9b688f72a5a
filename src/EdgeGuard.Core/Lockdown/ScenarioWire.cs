using System.Text.Json;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The wire forms of a site mode and of the suspended scenarios, written the same way wherever the
/// office reads them: the retained <c>state/lockdown</c>, and the data of the journal's
/// <c>gateway.started</c> and mode events. One writer, so the two cannot drift apart.
/// </summary>
public static class ScenarioWire
{
    private static readonly JsonEncodedText SuspendedName = JsonEncodedText.Encode("suspended");
    private static readonly JsonEncodedText ScenarioName = JsonEncodedText.Encode("scenario");
    private static readonly JsonEncodedText ModeName = JsonEncodedText.Encode("mode");
    private static readonly JsonEncodedText SinceName = JsonEncodedText.Encode("since");

    /// <summary>The wire name of a site mode (camelCase): <c>normal</c>, <c>lockdown</c>, <c>evacuation</c>, <c>shelterInPlace</c>.</summary>
    public static string Mode(SiteMode mode) => mode switch
    {
        SiteMode.Normal => "normal",
        SiteMode.Lockdown => "lockdown",
        SiteMode.Evacuation => "evacuation",
        SiteMode.ShelterInPlace => "shelterInPlace",
        _ => JsonNamingPolicy.CamelCase.ConvertName(mode.ToString()),
    };

    /// <summary>
    /// Writes the property <c>suspended</c>: the real scenarios the running one took over, oldest
    /// first, exactly as the state lists them (never sorted; empty in normal mode), each with its
    /// scenario id, mode and start. The office sees which locks stay locked under the running
    /// scenario, and what runs again when that one is ended by its releaser.
    /// </summary>
    public static void WriteSuspended(Utf8JsonWriter writer, IReadOnlyList<SuspendedScenario> suspended)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(suspended);
        writer.WriteStartArray(SuspendedName);
        Span<byte> since = stackalloc byte[WireTime.Length];
        foreach (var scenario in suspended)
        {
            writer.WriteStartObject();
            writer.WriteString(ScenarioName, scenario.Info.Scenario);
            writer.WriteString(ModeName, Mode(scenario.Mode));
            WireTime.FormatUtf8(scenario.Info.Since, since);
            writer.WriteString(SinceName, since);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
