using System.Collections.Immutable;
using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The retained <c>state/lockdown</c> payload's list of suspended scenarios: written exactly, in
/// order, and valid against docs/schemas/state-lockdown.schema.json (checked by the contract tool).
/// </summary>
public sealed class LockdownStatePayloadTests
{
    private static readonly Topics Topics = new("site-1", "gw-1");
    private static readonly DateTimeOffset At = new(2026, 11, 23, 19, 0, 0, 123, TimeSpan.Zero);
    private static readonly DateTimeOffset Since = new(2026, 11, 23, 18, 59, 58, 7, TimeSpan.Zero);

    // A real scoped shelter in the annex (oldest), then a scoped lockdown of the east wing, both
    // taken over by the site lockdown a panic press started.
    private static readonly ImmutableList<SuspendedScenario> TwoSuspended =
    [
        new(SiteMode.ShelterInPlace, new LockdownInfo("shelter-button", "shelter-annex", Since.AddMinutes(-20), "shelter-annex")),
        new(SiteMode.Lockdown, new LockdownInfo("office-command", null, Since.AddMinutes(-5).AddTicks(9_999), "lockdown-east")),
    ];

    private static SiteState Lockdown(ImmutableList<SuspendedScenario> suspended) =>
        new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-1", Since), TimeSpan.FromMinutes(3), ImmutableSortedDictionary<string, bool>.Empty)
        {
            Suspended = suspended,
        };

    private static string Text(SiteState state) => Encoding.UTF8.GetString(Payloads.LockdownState(state, Topics, At));

    [Fact]
    public void Lockdown_state_lists_the_suspended_scenarios_oldest_first_with_mode_and_since()
    {
        Assert.Equal(
            """{"v":1,"site":"site-1","gateway":"gw-1","mode":"lockdown","cause":"panic-button","point":"panic-1","since":"2026-11-23T18:59:58.007Z","scenario":"lockdown","drill":false,"suspended":[{"scenario":"shelter-annex","mode":"shelterInPlace","since":"2026-11-23T18:39:58.007Z"},{"scenario":"lockdown-east","mode":"lockdown","since":"2026-11-23T18:54:58.007Z"}],"sirenSounding":true,"fireEgressReleased":false,"threatLevel":1,"ts":"2026-11-23T19:00:00.123Z"}""",
            Text(Lockdown(TwoSuspended)));
    }

    [Fact]
    public void The_order_of_the_suspended_scenarios_is_the_states_whatever_their_ids_or_times()
    {
        // Reversed: the payload must follow the list, not sort it by id or by time.
        var reversed = Text(Lockdown(TwoSuspended.Reverse()));

        Assert.True(
            reversed.IndexOf("\"lockdown-east\"", StringComparison.Ordinal) < reversed.IndexOf("\"shelter-annex\"", StringComparison.Ordinal),
            reversed);
    }

    [Fact]
    public async Task Lockdown_states_with_no_and_with_two_suspended_scenarios_match_the_contract_schema()
    {
        var normal = new SiteState(SiteMode.Normal, null, null, ImmutableSortedDictionary<string, bool>.Empty);
        string[] payloads = [Text(normal), Text(Lockdown([])), Text(Lockdown(TwoSuspended))];
        Assert.Contains("\"suspended\":[]", payloads[0], StringComparison.Ordinal);
        Assert.Contains("\"suspended\":[]", payloads[1], StringComparison.Ordinal);

        var (exitCode, report) = await ContractTool.ValidateAsync(payloads.Select(p => (Topics.LockdownState, p)));

        Assert.True(exitCode == 0, report);
        Assert.EndsWith("3 passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_contract_schema_rejects_a_lockdown_state_without_suspended_or_with_a_malformed_entry()
    {
        // The schema must hold the field to its shape, or the test above proves nothing.
        var valid = Text(Lockdown(TwoSuspended));
        string[] broken =
        [
            valid.Replace("\"suspended\":[{", "\"suspendedScenarios\":[{", StringComparison.Ordinal),
            valid.Replace("\"mode\":\"shelterInPlace\"", "\"mode\":\"shelter\"", StringComparison.Ordinal),
            valid.Replace(",\"since\":\"2026-11-23T18:39:58.007Z\"", string.Empty, StringComparison.Ordinal),
            valid.Replace("\"mode\":\"lockdown\",\"since\"", "\"mode\":\"lockdown\",\"drill\":false,\"since\"", StringComparison.Ordinal),
            Text(new SiteState(SiteMode.Normal, null, null, ImmutableSortedDictionary<string, bool>.Empty) { Suspended = TwoSuspended }),
        ];
        Assert.All(broken, b => Assert.NotEqual(valid, b));

        var (exitCode, report) = await ContractTool.ValidateAsync(broken.Select(p => (Topics.LockdownState, p)));

        Assert.NotEqual(0, exitCode);
        Assert.EndsWith("0 passed, 5 failed", report.TrimEnd(), StringComparison.Ordinal);
    }
}
