namespace EdgeGuard.Mqtt.Tests;

// Every event at the longest texts the gateway takes in: the payload must still match the
// contract's maxLength of each field, or the office's validation drops a real event.
public sealed partial class EveryEventContractTests
{
    // The longest config id (common.schema.json#/$defs/id: 1 to 64 of [a-z0-9_-]): points, zones,
    // doors, outputs, scenarios and devices are config ids, checked when the config is read.
    private static readonly string LongestId = new('i', 64);

    // The longest operator name a command may carry (CommandEnvelope.MaxOperatorLength).
    private static readonly string LongestOperator = new('o', 256);

    private static readonly string OtherLongestOperator = new('p', 256);

    /// <summary>
    /// Texts the gateway builds from operator names (alternatives as in <see cref="Values"/>).
    /// </summary>
    private static Dictionary<string, object?[]> LongestValues()
    {
        var values = new Dictionary<string, object?[]>(Values, StringComparer.Ordinal)
        {
            ["Operator"] = [LongestOperator],
            // A keyswitch point, one operator stopping a drill, or the two of an all-clear joined
            // by '+' (OfficeCommands.AllClear).
            ["LockdownCleared.ClearedBy"] = [LongestId, LongestOperator, $"{LongestOperator}+{OtherLongestOperator}"],
            // TwoPersonApproval's sentence for a completed all-clear.
            ["CommandDone.Detail"] = [$"approved by {LongestOperator} and {OtherLongestOperator}"],
        };
        return values;
    }

    [Fact]
    public async Task Every_event_type_at_the_longest_ids_and_operator_names_validates_against_its_schema()
    {
        var (failures, count) = await ValidateEvery(LongestValues(), LongestId);

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} event payloads do not match the contract:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task Every_event_type_with_free_texts_longer_than_the_contract_allows_validates_against_its_schema()
    {
        // Reasons and problems come from exceptions, the broker and the file system: the journal's
        // data writer bounds them at the contract's 1024 characters, whatever their source.
        var text = new string('r', 5000);
        var values = new Dictionary<string, object?[]>(Values, StringComparer.Ordinal)
        {
            ["Reason"] = [text],
            ["Problem"] = [text],
            ["Detail"] = [text],
        };

        var (failures, count) = await ValidateEvery(values, "x");

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} event payloads do not match the contract:\n{string.Join("\n", failures)}");
    }
}
