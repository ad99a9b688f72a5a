using System.Text.Json;
using EdgeGuard.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// Free texts from outside the gateway's own code (exception messages, the broker, the file
/// system) are cut at the contract's 1024 characters in every event's data, whatever produced
/// them: a longer one failed the office's validation and the event with it.
/// </summary>
public sealed class EventDataWriterReasonTests
{
    private const int ContractLimit = 1024;

    [Fact]
    public void Every_reason_problem_and_detail_of_every_event_is_cut_at_the_contract_limit()
    {
        var text = "é" + new string('r', 4998) + "\U0001F6A8";
        var values = new Dictionary<string, object?[]>(StringComparer.Ordinal)
        {
            ["Reason"] = [text],
            ["Problem"] = [text],
            ["Detail"] = [text],
        };

        var checkedFields = 0;
        foreach (var type in CoreEvents.Types())
        {
            foreach (var (variant, domainEvent) in CoreEvents.Variants(type, values))
            {
                using var data = JsonDocument.Parse(EventDataWriter.Describe(domainEvent).DataJson);
                foreach (var field in data.RootElement.EnumerateObject())
                {
                    if (field.Name is not ("reason" or "problem" or "detail") || field.Value.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    // Only the texts given here; some reasons are the gateway's own sentences.
                    var written = field.Value.GetString()!;
                    if (written.StartsWith(text[..10], StringComparison.Ordinal))
                    {
                        checkedFields++;
                        Assert.True(written.Length == ContractLimit, $"{domainEvent.Type} ({variant}).{field.Name}: {written.Length} characters");
                        Assert.StartsWith(written, text, StringComparison.Ordinal);
                    }
                }
            }
        }

        // Every type with such a text was reached (about 20 types, several variants each).
        Assert.True(checkedFields >= 40, $"only {checkedFields} long texts were written");
    }

    [Fact]
    public void A_text_is_never_cut_inside_a_surrogate_pair()
    {
        var text = new string('r', ContractLimit - 1) + "\U0001F6A8" + "tail";

        using var data = JsonDocument.Parse(EventDataWriter.Describe(new Core.Lockdown.BrokerFault(CoreEvents.At, text)).DataJson);

        Assert.Equal(new string('r', ContractLimit - 1), data.RootElement.GetProperty("reason").GetString());
    }
}
