using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Runtime.Versioning;
using System.Text;

// The deploy scripts are bash for Linux gateways; so are their tests.
[assembly: SupportedOSPlatform("linux")]

namespace EdgeGuard.Deploy.Tests;

/// <summary>Runs the repository's shell scripts and looks at the trees they write.</summary>
internal static class Scripts
{
    /// <summary>The repository root (where EdgeGuard.sln is), found from the test's output directory.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The RID of this machine, the only one a framework-dependent release can run on.</summary>
    public static string HostRid => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    public static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    /// <summary>Runs <paramref name="script"/> (relative to the repository) with bash; fails the test on a timeout.</summary>
    public static Task<Result> RunAsync(string script, TimeSpan timeout, params string[] args) =>
        RunAsync(script, timeout, new Dictionary<string, string>(StringComparer.Ordinal), args);

    /// <summary>As <see cref="RunAsync(string, TimeSpan, string[])"/>, with <paramref name="environment"/> set for the script.</summary>
    public static Task<Result> RunAsync(string script, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync("bash", timeout, environment, [Path.Combine(RepoRoot, script), .. args]);

    /// <summary>Runs <paramref name="program"/> (found on the PATH: openssl, python3) in the repository root; fails the test on a timeout.</summary>
    public static Task<Result> RunProgramAsync(string program, TimeSpan timeout, params string[] args) =>
        RunProgramAsync(program, timeout, new Dictionary<string, string>(StringComparer.Ordinal), args);

    private static async Task<Result> RunProgramAsync(string program, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The framework-dependent release's apphost finds the runtime that runs these tests.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
        {
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(host);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {args.FirstOrDefault()} did not finish within {timeout}: {await output}{await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Every entry under <paramref name="root"/> with its type, mode, owner, size, modification
    /// time (ns), symlink target and content hash: two equal listings mean nothing was touched.
    /// </summary>
    public static async Task<string> TreeListingAsync(string root)
    {
        var find = new ProcessStartInfo("find") { RedirectStandardOutput = true };
        foreach (var arg in new[] { root, "-mindepth", "1", "-printf", "%P|%y|%m|%U:%G|%s|%T@|%l\\n" })
        {
            find.ArgumentList.Add(arg);
        }

        using var process = Process.Start(find)!;
        var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await process.WaitForExitAsync();
        var listing = new StringBuilder();
        foreach (var line in lines.Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(root, line[..line.IndexOf('|', StringComparison.Ordinal)]);
            var hash = line.Split('|')[1] == "f" ? Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(path))) : "";
            listing.Append(CultureInfo.InvariantCulture, $"{line}|{hash}\n");
        }

        return listing.ToString();
    }

    /// <summary>Octal mode of a file or directory as <c>find</c> prints it (e.g. <c>640</c>).</summary>
    public static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    /// <summary><c>uid:gid</c> of an entry (not following a symlink).</summary>
    public static string Owner(string path)
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u:%g", path]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        stat.Dispose();
        return owner;
    }

    private static string FindRepoRoot()
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
