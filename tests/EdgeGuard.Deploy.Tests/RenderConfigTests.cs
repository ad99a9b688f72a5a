using System.Text.Json.Nodes;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// deploy/render-config.py reads a template as the gateway reads its config (.NET's JSON
/// configuration provider: <c>//</c> and <c>/* */</c> comments skipped, trailing commas allowed,
/// a UTF-8 byte order mark ignored): a site's pin map that <c>edgeguard validate</c> accepts must
/// not stop provisioning. Before, it used json.load and refused a commented template with a
/// Python traceback. A real JSON error names the file and its line, without a traceback.
/// </summary>
public sealed class RenderConfigTests
{
    private static readonly string Sample = File.ReadAllText(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json"));

    [Fact]
    public async Task A_template_with_comments_renders_as_the_gateway_would_read_it()
    {
        using var scratch = new TempDirectory();

        var result = await RenderAsync(scratch, "// pin map of embassy-x, lobby gateway\n/* checked 2026-12-05 */\n" + Sample);

        Assert.True(result.ExitCode == 0, result.All);
        var eg = JsonNode.Parse(await File.ReadAllTextAsync(Output(scratch)))!["EdgeGuard"]!;
        Assert.Equal("embassy-x", (string?)eg["site"]);
        Assert.Equal(JsonNode.Parse(Sample)!["EdgeGuard"]!["points"]!.ToJsonString(), eg["points"]!.ToJsonString());
    }

    [Fact]
    public async Task Trailing_commas_a_byte_order_mark_and_comment_marks_inside_strings_are_handled_as_the_gateway_does()
    {
        using var scratch = new TempDirectory();
        const string template = "\uFEFF{\n"
            + "  \"EdgeGuard\": {\n"
            + "    \"zones\": [ { \"id\": \"lobby\", \"name\": \"Lobby // east /* wing */\", }, ], // the one zone\n"
            + "    \"mqtt\": { \"host\": \"old.example\", \"note\": \"a \\\" quote, then ,}\" },\n"
            + "  },\n"
            + "}\n";

        var result = await RenderAsync(scratch, template);

        Assert.True(result.ExitCode == 0, result.All);
        var eg = JsonNode.Parse(await File.ReadAllTextAsync(Output(scratch)))!["EdgeGuard"]!;
        Assert.Equal("Lobby // east /* wing */", (string?)eg["zones"]![0]!["name"]);
        Assert.Equal("a \" quote, then ,}", (string?)eg["mqtt"]!["note"]);
        Assert.Equal("office.example", (string?)eg["mqtt"]!["host"]);
    }

    [Theory]
    [InlineData("{\n  \"EdgeGuard\": {\n    \"site\": \"x\"\n    \"gateway\": \"y\"\n  }\n}\n", 4)]
    [InlineData("{\n  \"EdgeGuard\": {\n    \"zones\": [,]\n  }\n}\n", 3)]
    [InlineData("{\n  \"EdgeGuard\": {}\n  /* never closed\n}\n", 3)]
    public async Task A_real_json_error_names_the_file_and_line_without_a_traceback(string template, int line)
    {
        using var scratch = new TempDirectory();

        var result = await RenderAsync(scratch, template);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Template(scratch)}:{line}:", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Traceback", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Output(scratch)));
    }

    // Two objects under one key were merged and written without the duplicate, so the config
    // validated with chatter detection silently off; the gateway refuses the template as written.
    [Theory]
    [InlineData("{ \"EdgeGuard\": { \"site\": \"a\", \"Site\": \"b\" } }\n", "'Site'")]
    [InlineData("{ \"EdgeGuard\": { \"supervision\": { \"chatterTransitions\": 0 }, \"supervision\": { \"holdSeconds\": 3 } } }\n", "'supervision'")]
    public async Task Keys_the_gateway_would_refuse_as_duplicates_are_refused_naming_the_key(string template, string key)
    {
        using var scratch = new TempDirectory();

        var result = await RenderAsync(scratch, template);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Output(scratch)));
        Assert.DoesNotContain("Traceback", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_with_nothing_to_fill_in_is_copied_as_written_comments_and_all()
    {
        using var scratch = new TempDirectory();
        var first = await RenderAsync(scratch, Sample);
        Assert.True(first.ExitCode == 0, first.All);
        var commented = "// lobby gateway: zone names checked with the guards, 2026-12-05\n" + await File.ReadAllTextAsync(Output(scratch));

        var again = await RenderAsync(scratch, commented);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Equal(commented, await File.ReadAllTextAsync(Output(scratch)));
    }

    // The office CA (deploy/office/certs.sh) publishes no CRL or OCSP address: a template's
    // revocation "online" (the gateway's default) or "offline" was kept without a word, and every
    // TLS connect then failed (tests/EdgeGuard.IntegrationTests/OfficeDeployTests.cs).
    [Theory]
    [InlineData("online")]
    [InlineData(" Offline")]
    public async Task A_revocation_check_without_a_revocation_address_in_the_certificate_is_refused(string mode)
    {
        using var scratch = new TempDirectory();
        var template = "{ \"EdgeGuard\": { \"mqtt\": { \"tls\": { \"Revocation\": \"" + mode + "\" } } } }\n";

        var refused = await RenderAsync(scratch, template);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"mqtt.tls.revocation '{mode}'", refused.Error, StringComparison.Ordinal);
        Assert.Contains("noCheck", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Traceback", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Output(scratch)));

        // A certificate that names a CRL or OCSP address (another CA than certs.sh's): kept.
        var kept = await RenderAsync(scratch, template, "--revocation-url");

        Assert.True(kept.ExitCode == 0, kept.All);
        Assert.Equal(mode, (string?)JsonNode.Parse(await File.ReadAllTextAsync(Output(scratch)))!["EdgeGuard"]!["mqtt"]!["tls"]!["Revocation"]);
    }

    [Fact]
    public async Task No_check_in_the_template_or_no_revocation_key_at_all_renders_no_check()
    {
        using var scratch = new TempDirectory();

        var given = await RenderAsync(scratch, "{ \"EdgeGuard\": { \"mqtt\": { \"tls\": { \"revocation\": \"nocheck\" } } } }\n");
        Assert.True(given.ExitCode == 0, given.All);
        Assert.Equal("nocheck", (string?)JsonNode.Parse(await File.ReadAllTextAsync(Output(scratch)))!["EdgeGuard"]!["mqtt"]!["tls"]!["revocation"]);

        var absent = await RenderAsync(scratch, Sample);
        Assert.True(absent.ExitCode == 0, absent.All);
        Assert.Equal("noCheck", (string?)JsonNode.Parse(await File.ReadAllTextAsync(Output(scratch)))!["EdgeGuard"]!["mqtt"]!["tls"]!["revocation"]);
    }

    private static string Template(TempDirectory scratch) => Path.Combine(scratch.Path, "site.json");

    private static string Output(TempDirectory scratch) => Path.Combine(scratch.Path, "out.json");

    private static async Task<Scripts.Result> RenderAsync(TempDirectory scratch, string template, params string[] extra)
    {
        await File.WriteAllTextAsync(Template(scratch), template);
        if (File.Exists(Output(scratch)))
        {
            File.Delete(Output(scratch));
        }

        return await Scripts.RunProgramAsync("python3", TimeSpan.FromMinutes(1),
        [
            Path.Combine(Scripts.RepoRoot, "deploy/render-config.py"), Template(scratch), Output(scratch),
            "--site", "embassy-x", "--gateway", "gw-lobby", "--host", "office.example", "--port", "8883",
            "--driver", "libgpiod", .. extra,
        ]);
    }
}
