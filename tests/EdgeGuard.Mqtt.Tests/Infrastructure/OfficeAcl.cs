using System.Diagnostics;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>The office broker's ACL as deploy/office/make-acl.sh renders it (certs.sh runs it).</summary>
internal static class OfficeAcl
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>One stanza: <c>--site S --gateway G</c> or <c>--office NAME</c>.</summary>
    public static async Task<string> MakeAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoRoot(), "deploy/office/make-acl.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"EdgeGuard.sln not found above {AppContext.BaseDirectory}");
    }
}
