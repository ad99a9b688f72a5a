using EdgeGuard.Cli;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// Bad arguments to <c>edgeguard sim</c> are refused on the command line, exit 1 with the problem named,
/// as README says: NaN, Infinity or 1e400 as <c>--expect-timeout</c> threw out of TimeSpan.FromSeconds,
/// and a pulse count of 0 went to the gateway, which refused it (exit 3).
/// </summary>
public sealed class SimVerbArgumentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e400")]
    [InlineData("0")]
    [InlineData("3601")]
    [InlineData("abc")]
    public async Task An_expect_timeout_that_is_not_a_usable_number_of_seconds_is_refused(string seconds)
    {
        var file = _dir.File("drill.scenario");
        await File.WriteAllTextAsync(file, "expect mode normal\n");

        var (code, _, error) = await CliRun.InvokeAsync("sim", "scenario", file, "--expect-timeout", seconds, "--socket", _dir.File("none.sock"));

        Assert.Equal(1, code);
        Assert.Contains(seconds == "abc" ? "Cannot parse argument 'abc'" : "--expect-timeout must be a number of seconds above 0 and at most 3600", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000001")]
    [InlineData("abc")]
    public async Task A_pulse_count_out_of_range_is_refused(string count)
    {
        var (code, _, error) = await CliRun.InvokeAsync("sim", "pulse", "door-lobby", count, "--socket", _dir.File("none.sock"));

        Assert.Equal(1, code);
        Assert.Contains(count == "abc" ? "Cannot parse argument 'abc'" : "count must be 1..1000000", error, StringComparison.Ordinal);
    }
}
