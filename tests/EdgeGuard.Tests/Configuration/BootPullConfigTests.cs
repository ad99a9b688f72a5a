using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A host board's lines rest at their reset pulls from power-on until the gateway opens them, and
/// whenever it is not running. An output whose relay is energised by that level would act at every
/// boot and through a crash loop, so the board profile lists the pulls and validation refuses it.
/// </summary>
public sealed class BootPullConfigTests
{
    private static ConfigResult Read(params (string Key, string? Value)[] overrides) => BoardProfileConfigTests.Read(overrides);

    [Fact]
    public void The_pi_4_profile_lists_its_reset_pulls_and_the_pi_5_profile_none()
    {
        var pi4 = BoardProfile.Find("raspberry-pi-4")!.BootLevels;

        Assert.Equal(Enumerable.Range(0, 28), pi4.Keys.Order());
        Assert.All(Enumerable.Range(0, 9), line => Assert.True(pi4[line], $"BCM {line} is pulled up"));
        Assert.All(Enumerable.Range(9, 19), line => Assert.False(pi4[line], $"BCM {line} is pulled down"));
        Assert.Empty(BoardProfile.Find("raspberry-pi-5")!.BootLevels);
    }

    [Fact]
    public void The_shipped_site_on_a_pi_4_has_every_relay_on_a_line_that_rests_off()
    {
        var result = Read(("board", "raspberry-pi-4"), ("hardware:chip", null));

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void Every_relay_energised_by_its_lines_boot_pull_is_listed_at_once()
    {
        var result = Read(("board", "raspberry-pi-4"), ("hardware:chip", null),
            ("outputs:0:line", "2"),  // lock-lobby: egress maglock (fail-safe), energised high
            ("outputs:1:line", "4"),  // lock-chancery: fail-secure, energised high
            ("outputs:2:line", "8"),  // siren-main
            ("outputs:4:line", "3")); // lamp-lockdown: an indicator, allowed

        Assert.False(result.IsValid);
        var errors = result.Errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Equal(["EdgeGuard:outputs:0:line", "EdgeGuard:outputs:1:line", "EdgeGuard:outputs:2:line"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("line 2: raspberry-pi-4 pulls it up from power-on until the gateway opens it", errors["EdgeGuard:outputs:0:line"]);
        Assert.Contains("this escape route's fail-safe lock stays locked", errors["EdgeGuard:outputs:0:line"]);
        Assert.Contains("this fail-secure lock unlocks at every boot", errors["EdgeGuard:outputs:1:line"]);
        Assert.Contains("move it to a line pulled down at boot (9-27) or use a relay input energised by low (activeLevel low)", errors["EdgeGuard:outputs:1:line"]);
        Assert.Contains("this siren sounds", errors["EdgeGuard:outputs:2:line"]);
    }

    [Fact]
    public void A_relay_energised_by_the_other_level_may_use_a_pulled_up_line()
    {
        var result = Read(("board", "raspberry-pi-4"), ("hardware:chip", null),
            ("outputs:1:line", "4"), ("outputs:1:activeLevel", "low"));

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void A_board_whose_profile_lists_no_pulls_and_a_config_with_no_board_are_not_checked()
    {
        Assert.True(Read(("board", "raspberry-pi-5"), ("hardware:chip", null), ("outputs:1:line", "4")).IsValid);
        Assert.True(Read(("outputs:1:line", "4")).IsValid);
    }
}
