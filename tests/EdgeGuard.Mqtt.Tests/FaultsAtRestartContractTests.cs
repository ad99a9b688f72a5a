using System.Text.Json;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Supervision and hardware faults are held in memory only (PointSupervisor, EolLoopLines, the board's
/// chips): a restart forgets them and never restores them. The office must therefore read a
/// <c>gateway.started</c> as closing every one of them left open, and the gateway raises again every one
/// that still holds (EdgeGuard.Tests' SupervisionFaultsAcrossRestartTests). Without that rule written where
/// the office reads it, a fence suppressed for chatter before a restart stays "unwatched" at the office for
/// good. The contract must say it for each fault, for <c>gateway.started</c>, in the AsyncAPI and in the
/// office's README.
/// </summary>
public sealed class FaultsAtRestartContractTests
{
    private static readonly string[] Faults = ["fault.chatter", "fault.point-stuck", "fault.eol-tamper", "fault.hardware"];

    private static string Root => ContractTool.RepositoryRoot();

    private static Dictionary<string, string> Descriptions()
    {
        using var data = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "docs", "schemas", "event-data.schema.json")));
        return data.RootElement.GetProperty("$defs").EnumerateObject()
            .Where(d => d.Value.TryGetProperty("description", out _))
            .ToDictionary(d => d.Name, d => d.Value.GetProperty("description").GetString()!, StringComparer.Ordinal);
    }

    [Fact]
    public void Each_supervision_and_hardware_fault_says_a_gateway_started_closes_it_and_a_fault_still_there_is_raised_again()
    {
        var descriptions = Descriptions();
        foreach (var fault in Faults)
        {
            var text = descriptions[fault];
            Assert.True(text.Contains("a gateway.started closes", StringComparison.Ordinal), $"{fault}: {text}");
            Assert.True(text.Contains("raised again", StringComparison.Ordinal), $"{fault}: {text}");
        }
    }

    [Fact]
    public void Gateway_started_names_every_fault_it_closes()
    {
        var text = Descriptions()["gateway.started"];
        Assert.All(Faults, fault => Assert.Contains(fault, text, StringComparison.Ordinal));
        Assert.Contains("fault.certificate", text, StringComparison.Ordinal);
        Assert.Contains("closes", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_asyncapi_and_the_office_readme_state_the_rule_for_every_fault()
    {
        foreach (var file in new[] { Path.Combine("docs", "mqtt.asyncapi.yaml"), Path.Combine("deploy", "office", "README.md") })
        {
            // The rule is one paragraph (or list item): the one that says a gateway.started closes them.
            var text = File.ReadAllText(Path.Combine(Root, file)).Replace("\r", string.Empty, StringComparison.Ordinal);
            var paragraph = text.Split(["\n\n", "\n    * ", "\n* "], StringSplitOptions.None)
                .FirstOrDefault(p => p.Contains("`gateway.started` closes every", StringComparison.Ordinal));
            Assert.True(paragraph is not null, $"{file} states no rule '`gateway.started` closes every …'");
            Assert.All(Faults, fault => Assert.Contains($"`{fault}`", paragraph, StringComparison.Ordinal));
            Assert.Contains("raised again", paragraph, StringComparison.Ordinal);
        }
    }
}
