namespace EdgeGuard.Tests;

/// <summary>How a POSIX shell reads a command the gateway prints for a technician to paste.</summary>
internal static class ShellWords
{
    /// <summary>The words /bin/sh makes of <paramref name="command"/>, as of a line pasted at its prompt (none may hold a newline).</summary>
    public static string[] Of(string command)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-c", "eval \"set -- $0\" && printf '%s\\n' \"$@\"", command })
        {
            start.ArgumentList.Add(arg);
        }

        using var shell = System.Diagnostics.Process.Start(start)!;
        var output = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        Assert.Equal(0, shell.ExitCode);
        return output.Split('\n')[..^1];
    }
}
