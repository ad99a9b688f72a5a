using System.Diagnostics;

namespace EdgeGuard.Testing;

/// <summary>
/// Runs the MQTT contract tool, <c>tools/contract/validate-messages.mjs</c> (Ajv over
/// docs/schemas), on captured messages: the same check the office's own tooling makes, so a payload
/// test is held to the published schema, not to a copy of it in C#.
/// </summary>
public static class ContractTool
{
    /// <summary>
    /// Validates <paramref name="capture"/> (a file of <c>mosquitto_sub -v</c> or <c>-F %j</c>
    /// lines) with <paramref name="options"/>; the report ends with <c>N passed, N failed</c>.
    /// </summary>
    /// <param name="capture">The capture file.</param>
    /// <param name="options">Options of the tool, e.g. <c>--check-seq</c>, <c>--known-types</c>.</param>
    /// <returns>The tool's exit code (0 when every message passed) and its output.</returns>
    public static async Task<(int ExitCode, string Report)> ValidateAsync(string capture, params string[] options)
    {
        var tool = Path.Combine(RepositoryRoot(), "tools", "contract");
        if (!Directory.Exists(Path.Combine(tool, "node_modules")))
        {
            // A missing install must fail the test, never pass it unchecked.
            throw new InvalidOperationException($"npm packages of {tool} are missing: run ./test.sh (it runs tools/contract/run.sh)");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(tool, "validate-messages.mjs"));
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }

        start.ArgumentList.Add(capture);
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Validates <paramref name="messages"/> (topic and payload, as <c>mosquitto_sub -v</c> prints
    /// them) through a temporary capture file.
    /// </summary>
    /// <param name="messages">The messages.</param>
    /// <returns>The tool's exit code (0 when every message passed) and its output.</returns>
    public static async Task<(int ExitCode, string Report)> ValidateAsync(IEnumerable<(string Topic, string Payload)> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var directory = new TempDirectory();
        var capture = Path.Combine(directory.Path, "capture-v.txt");
        await File.WriteAllLinesAsync(capture, messages.Select(m => $"{m.Topic} {m.Payload}"));
        return await ValidateAsync(capture);
    }

    /// <summary>The repository's root: the first folder above the test binaries with the contract tool.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "tools", "contract", "validate-messages.mjs")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no tools/contract above {AppContext.BaseDirectory}");
    }
}
