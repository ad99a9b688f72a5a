using System.Text.RegularExpressions;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// Every deploy script runs under <c>set -o pipefail</c> (provision-*.sh sourced by provision-gateway.sh,
/// the office's from certs.sh). A reader that stops before the end of its input (grep -q or -m at a
/// match, head) leaves the writer before it to die of SIGPIPE once its output outlasts the pipe:
/// the pipeline then fails although the reader found what it looked for, and in <c>$(...)</c> set -e
/// ends the script. provision-gateway.sh so lost --revocation-url on a certificate whose
/// <c>openssl x509 -text</c> ran long (ProvisionTlsTests); the other readers only waited for a
/// longer file or listing to fail the same way.
/// </summary>
public sealed partial class PipefailReadersTests
{
    [Fact]
    public void No_deploy_script_pipes_into_a_reader_that_stops_before_the_end()
    {
        var offenders = new List<string>();
        foreach (var script in Directory.EnumerateFiles(Path.Combine(Scripts.RepoRoot, "deploy"), "*.sh", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Comment lines blanked (line numbers kept); a pipe continued on the next line still matches.
            var lines = File.ReadAllLines(script).Select(l => l.TrimStart().StartsWith('#') ? "" : l).ToArray();
            var text = string.Join('\n', lines);
            foreach (Match match in EarlyReader().Matches(text))
            {
                var line = text.AsSpan(0, match.Index).Count('\n');
                offenders.Add($"{Path.GetRelativePath(Scripts.RepoRoot, script)}:{line + 1}: {lines[line].Trim()}");
            }
        }

        Assert.Equal("", string.Join('\n', offenders));
    }

    // "| head", "| grep -q", "| grep -qx", "| grep -e x -m 1" ..., the pipe perhaps ending its line.
    [GeneratedRegex(@"\|[ \t]*(\\?\n[ \t]*)?(head\b|grep\b[^|\n]*\s-[A-Za-z]*[qmlL])")]
    private static partial Regex EarlyReader();
}
