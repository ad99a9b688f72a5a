using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The journal's directories (<see cref="CheckedDirectory"/>): one owned by another user is theirs
/// to fill, so it is refused unless it is root's or the validating (service's) user's. Root cannot
/// tell which user the service runs as, so for root the owner is not judged; the user is injected
/// here because the tests run as root.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CheckedDirectoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_directory_owned_by_another_user_is_refused()
    {
        var state = Owned("state", 65534);

        var problem = CheckedDirectory.Problem(state, "journal", effectiveUser: 1000);

        Assert.NotNull(problem);
        Assert.Contains($"directory '{state}' is owned by uid 65534, neither root nor the service's user", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_of_the_service_or_of_root_passes()
    {
        Assert.Null(CheckedDirectory.Problem(Owned("own", 1000), "journal", effectiveUser: 1000));
        Assert.Null(CheckedDirectory.Problem(Owned("root", 0), "journal", effectiveUser: 1000));
    }

    [Fact]
    public void Root_does_not_judge_the_owner()
    {
        Assert.Null(CheckedDirectory.Problem(Owned("state", 65534), "journal", effectiveUser: 0));
    }

    [Fact]
    public void A_directory_not_made_yet_is_judged_by_its_owner_too()
    {
        var parent = Owned("shared", 65534);

        var problem = CheckedDirectory.Problem(Path.Combine(parent, "edgeguard"), "journal", effectiveUser: 1000);

        Assert.NotNull(problem);
        Assert.Contains($"whoever may write '{parent}' could make it first: directory '{parent}' is owned by uid 65534", problem, StringComparison.Ordinal);
    }

    private string Owned(string name, int uid)
    {
        var path = Directory.CreateDirectory(_dir.File(name)).FullName;
        using var chown = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
        return path;
    }
}
