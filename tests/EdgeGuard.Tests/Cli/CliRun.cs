using System.CommandLine;
using EdgeGuard.Cli;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// Runs the <c>edgeguard</c> command line in-process as a person would type it, capturing its exit code,
/// standard output and standard error. Shared by the CLI tests here and (linked) by the integration tests.
/// </summary>
internal static class CliRun
{
    public static Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args) => InvokeAsync(null, args);

    /// <summary>As <see cref="InvokeAsync(string[])"/>, writing standard output to <paramref name="writer"/> when given.</summary>
    public static async Task<(int Code, string Out, string Err)> InvokeAsync(TextWriter? writer, params string[] args)
    {
        var output = writer ?? new StringWriter();
        var error = new StringWriter();
        var code = await EdgeGuardCli.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString() ?? string.Empty, error.ToString());
    }
}
