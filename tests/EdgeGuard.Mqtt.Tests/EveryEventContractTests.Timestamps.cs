using System.Text.Json;

namespace EdgeGuard.Mqtt.Tests;

// The contract promises one timestamp form (UTC, exactly three fractional digits), stated once in
// common.schema.json's timestamp. A field that asks only for "format": "date-time" lets any
// RFC 3339 text through: command.session-lost's since went out with .NET's seven digits, and the
// schema check passed it.
public sealed partial class EveryEventContractTests
{
    [Fact]
    public void Every_timestamp_in_the_schemas_is_the_one_timestamp_form()
    {
        var schemas = Path.Combine(ContractTool.RepositoryRoot(), "docs", "schemas");
        var loose = new List<string>();
        foreach (var file in Directory.GetFiles(schemas, "*.schema.json"))
        {
            using var schema = JsonDocument.Parse(File.ReadAllText(file));
            Walk(schema.RootElement, Path.GetFileName(file) + "#", loose);
        }

        // The definition itself is the one place the format is named, beside its pattern.
        Assert.Equal(["common.schema.json#/$defs/timestamp"], loose);
    }

    // Events an older release journaled with .NET's seven digits are published word for word after
    // an upgrade (an outage's backlog, a resend of history): the schema still takes those, and
    // only those besides the one form.
    [Fact]
    public async Task A_session_lost_since_is_the_one_form_or_the_older_releases_seven_digits()
    {
        var current = Payload(new EdgeGuard.Core.Lockdown.CommandSessionLost(CoreEvents.At, CoreEvents.At.AddMinutes(-3)), 11, drill: false, replayed: true, out _);
        var since = System.Text.RegularExpressions.Regex.Match(current, "\"since\":\"([^\"]+)\"").Groups[1].Value;
        Assert.Matches("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z$", since);
        var older = current.Replace(since, since[..^1] + "0000Z", StringComparison.Ordinal);
        var neither = current.Replace(since, since[..^5] + "Z", StringComparison.Ordinal);

        var failures = await Failures([("current", current), ("older", older), ("neither", neither)], "--known-types");

        Assert.StartsWith("neither:", Assert.Single(failures), StringComparison.Ordinal);
    }

    private static void Walk(JsonElement element, string where, List<string> loose)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == "date-time")
            {
                loose.Add(where);
            }

            foreach (var property in element.EnumerateObject())
            {
                Walk(property.Value, $"{where}/{property.Name}", loose);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, $"{where}/{i++}", loose);
            }
        }
    }
}
