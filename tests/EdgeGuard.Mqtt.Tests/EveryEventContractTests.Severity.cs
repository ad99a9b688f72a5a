using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeGuard.Mqtt.Tests;

// The contract has no machine-readable severity per type (the envelope allows any of the four);
// where a type's data description names its severity in prose, the office reads it there, so the
// prose must name every severity the gateway gives that type.
public sealed partial class EveryEventContractTests
{
    [Fact]
    public void Every_severity_the_gateway_gives_a_type_is_one_its_contract_description_names()
    {
        var named = DescribedSeverities();
        Assert.True(named.Count >= 10, $"found severities in the prose of only {named.Count} types");

        var unnamed = new List<string>();
        foreach (var type in CoreEvents.Types())
        {
            foreach (var (variant, domainEvent) in CoreEvents.Variants(type, Values).Where(v => Reachable(v.Event)))
            {
                var severity = Contract.Payloads.SeverityName(domainEvent.Severity);
                if (named.TryGetValue(domainEvent.Type, out var words) && !words.Contains(severity))
                {
                    unnamed.Add($"{domainEvent.Type} ({type.Name}, {variant}): {severity}, the description names {string.Join("/", words)}");
                }
            }
        }

        Assert.True(unnamed.Count == 0, string.Join("\n", unnamed.Distinct()));
    }

    /// <summary>Per event type, the severities named in the sentences of its description that say "severity".</summary>
    private static Dictionary<string, HashSet<string>> DescribedSeverities()
    {
        var path = Path.Combine(ContractTool.RepositoryRoot(), "docs", "schemas", "event-data.schema.json");
        using var data = JsonDocument.Parse(File.ReadAllText(path));
        var named = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var definition in data.RootElement.GetProperty("$defs").EnumerateObject())
        {
            if (!definition.Name.Contains('.', StringComparison.Ordinal)
                || !definition.Value.TryGetProperty("description", out var description))
            {
                continue;
            }

            var words = SeveritySentence().Matches(description.GetString()!)
                .SelectMany(sentence => SeverityWord().Matches(sentence.Value).Select(word => word.Value))
                .ToHashSet(StringComparer.Ordinal);
            if (words.Count > 0)
            {
                named[definition.Name] = words;
            }
        }

        return named;
    }

    // A sentence or clause (up to . ; or a parenthesis) that says "severity".
    [GeneratedRegex(@"[^.;()]*\b[Ss]everity\b[^.;()]*")]
    private static partial Regex SeveritySentence();

    [GeneratedRegex(@"\b(info|warning|alarm|critical)\b")]
    private static partial Regex SeverityWord();
}
