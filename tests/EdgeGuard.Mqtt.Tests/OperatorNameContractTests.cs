using System.Text;
using EdgeGuard.Core.Commands;
using EdgeGuard.Testing;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The contract's <c>operator</c> pattern and the gateway's check agree on which names they take:
/// the schema excluded U+0000-001F and U+007F only, while the gateway (<c>char.IsControl</c>) also
/// refuses U+0080-009F as <c>invalid-field</c>, so an office tool validating against the schema
/// could send a name the gateway refuses. Invisible format characters (category Cf) and line and
/// paragraph separators are refused by both too: they would make two operators' names look the same.
/// </summary>
public sealed class OperatorNameContractTests
{
    private const string Topic = "edgeguard/v1/site-a/gw-1/commands";

    [Theory]
    [InlineData("jos\\u0085", false)] // NEL, a C1 control
    [InlineData("jos\\u0080", false)]
    [InlineData("jos\\u009f", false)]
    [InlineData("jos\\u007f", false)]
    [InlineData("jos\\u001f", false)]
    [InlineData("jos\\u200b", false)] // zero-width space: prints as nothing
    [InlineData("jos\\u202e", false)] // right-to-left override
    [InlineData("jos\\u2066", false)] // left-to-right isolate
    [InlineData("jos\\ufeff", false)] // byte order mark
    [InlineData("jos\\u00ad", false)] // soft hyphen
    [InlineData("jos\\u2028", false)] // line separator
    [InlineData("jos\\udb40\\udc41", false)] // tag letter A (U+E0041), beyond the BMP
    [InlineData("jos\\u034f", false)] // combining grapheme joiner: default-ignorable, not Cf
    [InlineData("jos\\ufe0f", false)] // variation selector 16
    [InlineData("jos\\u3164", false)] // Hangul filler
    [InlineData("jos\\udb40\\udd00", false)] // variation selector 17 (U+E0100), beyond the BMP
    [InlineData("jos\\ufff0", false)] // reserved default-ignorable, unassigned
    [InlineData("jos\\u00a0", true)] // no-break space: the first after the C1 controls
    [InlineData("jos\\u00e9", true)]
    [InlineData("officer.jones", true)]
    [InlineData("\\u5f20\\u4f1f", true)] // Chinese
    [InlineData("\\ud840\\udc0b", true)] // U+2000B, a CJK ideograph beyond the BMP
    [InlineData("\\u0627\\u0644\\u0639\\u0644\\u064a", true)] // Arabic, right to left by itself
    public async Task The_contract_and_the_gateway_take_the_same_operator_names(string escaped, bool taken)
    {
        var payload = "{\"args\":{},\"expires_at\":\"2026-11-23T19:05:30.000Z\",\"gateway\":\"gw-1\",\"id\":\"3f1c9a52-8d4e-4b7a-9e21-6c0d5a7b8e90\","
            + "\"issued_at\":\"2026-11-23T19:05:00.000Z\",\"operator\":\"" + escaped + "\",\"signature\":\"ryzFClsawcKLfjNkvZ26eLiBN7N4XWYYIvcejJelMBEvI6dk/R/Iz2Ehg3ljuoMro8RarZ3EHFoOVdDbZXOkkQ==\",\"site\":\"site-a\",\"type\":\"lockdown\"}";

        var parsed = CommandEnvelope.TryParse(Encoding.UTF8.GetBytes(payload), out var error, out _, out _);
        var (code, report) = await ContractTool.ValidateAsync([(Topic, payload)]);

        Assert.True(taken == parsed is not null, $"gateway: {error ?? "parsed"}");
        Assert.True(taken == (code == 0), report);
        if (!taken)
        {
            Assert.Equal("operator must be 1-256 characters, no control or invisible format characters", error);
            Assert.Contains("/operator must match pattern", report, StringComparison.Ordinal);
        }
    }
}
