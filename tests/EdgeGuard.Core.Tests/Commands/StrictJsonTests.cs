using System.Text;
using CsCheck;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>The canonical form: one byte string per meaning, and every ambiguous input refused.</summary>
public sealed class StrictJsonTests
{
    private static string Canon(string json)
    {
        var item = StrictJson.TryParse(Encoding.UTF8.GetBytes(json), out var error);
        Assert.True(item is not null, error);
        return Encoding.UTF8.GetString(StrictJson.Canonical(item!));
    }

    [Theory]
    [InlineData("{ \"b\" : 1 , \"a\" : [ true , false , null ] }", "{\"a\":[true,false,null],\"b\":1}")]
    // Ordinal UTF-16 order: upper case before lower case, "a" before "aa", "é" (U+00E9) after "z".
    [InlineData("{\"z\":0,\"é\":1,\"aa\":2,\"a\":3,\"B\":4}", "{\"B\":4,\"a\":3,\"aa\":2,\"z\":0,\"é\":1}")]
    // Nested objects are sorted too.
    [InlineData("{\"o\":{\"y\":1,\"x\":2}}", "{\"o\":{\"x\":2,\"y\":1}}")]
    // Escapes that are not needed are written as the character; needed ones in short form.
    [InlineData("\"\\u0041\\/\\u00e9\\ud83d\\ude00\"", "\"A/é😀\"")]
    [InlineData("\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"", "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"")]
    // Not escaped: DEL, U+2028 (JavaScript line separator), HTML characters.
    [InlineData("\"\\u007f\\u2028<>&'\"", "\"\u007f\u2028<>&'\"")]
    [InlineData("-0000000000000000001", null)]
    [InlineData("9223372036854775807", "9223372036854775807")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("0", "0")]
    public void Canonical_form_of_tricky_inputs(string json, string? expected)
    {
        if (expected is null)
        {
            Assert.Null(StrictJson.TryParse(Encoding.UTF8.GetBytes(json), out _));
            return;
        }

        Assert.Equal(expected, Canon(json));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate member 'a'")]
    [InlineData("{\"a\":1,\"\\u0061\":2}", "duplicate member 'a'")]            // the same name, escaped
    [InlineData("{\"o\":{\"k\":1,\"k\":1}}", "duplicate member 'k'")]
    [InlineData("1.0", "not a plain integer")]
    [InlineData("1e2", "not a plain integer")]
    [InlineData("-0", "not a plain integer")]
    [InlineData("9223372036854775808", "out of range")]
    [InlineData("\"\\ud800\"", "")]                                          // lone surrogate
    [InlineData("\"\\udc00x\"", "")]
    [InlineData("{\"a\":1}{}", "")]                                          // two values
    [InlineData("{\"a\":1,}", "")]                                           // trailing comma
    [InlineData("{\"a\":1 /* c */}", "")]                                   // comment
    [InlineData("{'a':1}", "")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("NaN", "")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "")]             // deeper than MaxDepth
    public void Ambiguous_or_broken_input_is_refused(string json, string because)
    {
        Assert.Null(StrictJson.TryParse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Contains(because, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_and_a_byte_order_mark_are_refused()
    {
        Assert.Null(StrictJson.TryParse([(byte)'"', 0xC3, 0x28, (byte)'"'], out var error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
        Assert.Null(StrictJson.TryParse([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'], out error));
        Assert.Contains("byte order mark", error, StringComparison.Ordinal);
    }

    private static readonly Gen<JsonItem> Leaf = Gen.OneOf<JsonItem>(
        Gen.String.Select(s => (JsonItem)new JsonStringItem(new string(s.Where(c => !char.IsSurrogate(c)).ToArray()))),
        Gen.Long.Select(n => (JsonItem)new JsonIntegerItem(n)),
        Gen.Bool.Select(b => (JsonItem)new JsonBooleanItem(b)),
        Gen.Const<JsonItem>(JsonNullItem.Instance));

    private static Gen<JsonItem> Item(int depth) => depth == 0 ? Leaf : Gen.Frequency(
        (3, Leaf),
        (1, Item(depth - 1).Array[0, 4].Select(a => (JsonItem)new JsonArrayItem([.. a]))),
        (1, Gen.Select(Gen.String[0, 6], Item(depth - 1)).Array[0, 4].Select(m =>
            (JsonItem)CommandKit.Args([.. m.GroupBy(p => p.Item1).Select(g => (g.Key, g.First().Item2))]))));

    [Fact]
    public void Canonical_form_parses_back_to_the_same_canonical_form()
    {
        Item(3).Sample(item =>
        {
            var canonical = StrictJson.Canonical(item);
            var parsed = StrictJson.TryParse(canonical, out var error);
            Assert.True(parsed is not null, error);
            Assert.Equal(canonical, StrictJson.Canonical(parsed!));
        }, iter: 2000);
    }

    [Fact]
    public void Canonical_form_does_not_depend_on_member_order_or_whitespace()
    {
        Gen.Select(Gen.String[1, 5].Array[1, 6], Gen.Int[0, 1000]).Sample((names, seed) =>
        {
            var distinct = names.Distinct(StringComparer.Ordinal).Where(n => !n.Any(char.IsSurrogate)).ToArray();
            var members = distinct.Select((n, i) => $"{Quote(n)} : {i}").ToArray();
            var rng = new Random(seed);
            var shuffled = members.OrderBy(_ => rng.Next()).ToArray();
            Assert.Equal(Canon("{" + string.Join(",", members) + "}"), Canon("{\n" + string.Join(" ,\t", shuffled) + " }"));
        }, iter: 500);

        static string Quote(string s) => Encoding.UTF8.GetString(StrictJson.Canonical(new JsonStringItem(s)));
    }
}
