using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// An egress lock must leave people a way out that a lockdown cannot lock (NFPA 101 free egress):
/// its door's exit button, or an exit wired past the gateway (<c>hardwiredExit</c>). The ways a
/// technician may satisfy the rule, and every broken lock listed at once. The single broken cases
/// are in <c>BrokenConfigTests.Egress.cs</c>.
/// </summary>
public sealed class EgressExitConfigTests
{
    // A door id was compared only with doors read without a problem: the second 'lobby' was reported
    // only once the first one's misspelt lock was fixed.
    [Fact]
    public void A_second_door_with_an_id_is_reported_beside_the_first_ones_other_problem()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("doors:0:lock", "lock-lobbby");
            k.Set("doors:1:id", "lobby");
            k.Set("doors:1:lock", "lock-chancery");
        });

        Assert.Equal(["EdgeGuard:doors:0:lock", "EdgeGuard:doors:1:id"], result.Errors.Select(e => e.Path));
        Assert.Contains("door id 'lobby' is used twice", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Egress_lock_whose_door_has_an_exit_button_is_fine()
    {
        var result = TestConfigs.Read(_ => { });

        Assert.True(result.IsValid, result.ToReport());
        var door = Assert.Single(result.Config!.Site.DoorList);
        Assert.Equal("lock-lobby", door.LockId);
        Assert.Equal(["rex-lobby"], door.RequestToExit);
        Assert.True(result.Config.Site.Output("lock-lobby").Egress);
    }

    [Fact]
    public void Egress_lock_whose_door_has_delayed_egress_started_by_its_exit_button_is_fine()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("doors:0:delayedEgressSeconds", "15");
            k.Set("doors:0:localAlarm", "strobe-lobby");
            k.Set("doors:0:relockKeyswitches:0", "key-guardroom");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromSeconds(15), Assert.Single(result.Config!.Site.DoorList).DelayedEgress);
    }

    // Delayed egress (NFPA 101 7.2.1.6.1) is an exit feature: its lock must release on a fire alarm
    // and on power loss. The config accepted it on a fail-secure, non-egress lock, which a fire never
    // releases and whose exit button a lockdown ignores: people at that door were trapped in a fire
    // during a lockdown (LifeSafetyTests has the valid door releasing).
    [Fact]
    public void Delayed_egress_on_a_fail_secure_non_egress_lock_is_refused()
    {
        var result = TestConfigs.Read(BrokenConfigTests.AddChanceryDoorWithDelayedEgress);

        Assert.False(result.IsValid, "delayed egress accepted on a fail-secure lock that no fire releases");
        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:doors:1:delayedEgressSeconds", error.Path);
    }

    [Fact]
    public void Delayed_egress_on_the_same_lock_made_egress_and_fail_safe_is_fine()
    {
        var result = TestConfigs.Read(k =>
        {
            BrokenConfigTests.AddChanceryDoorWithDelayedEgress(k);
            k.Set("outputs:1:failMode", "failSafe");
            k.Set("outputs:1:egress", "true");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromSeconds(15), result.Config!.Site.DoorList.Single(d => d.Id == "chancery").DelayedEgress);
        // Its way out is the gateway's, as for any exit button it reads; the hardware exit asked for
        // keeps the delay (a push-to-exit cutting the power would open the door at once).
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("EdgeGuard:outputs:1:egress", warning.Path);
        Assert.EndsWith(
            "fit a delayed-egress lock that runs the delay itself and releases without the gateway (door 'chancery' has delayedEgressSeconds), "
            + "test it on site, and set hardwiredExit to true",
            warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Delayed_egress_on_a_non_egress_lock_is_listed_at_once_with_the_other_problems()
    {
        var result = TestConfigs.Read(k =>
        {
            BrokenConfigTests.AddChanceryDoorWithDelayedEgress(k);
            k.Set("doors:0:heldOpenSeconds", "0");            // a problem before it, in the same list
            k.Set("mqtt:port", "abc");                        // and something unrelated after it
        });

        string[] expected = ["EdgeGuard:doors:0:heldOpenSeconds", "EdgeGuard:doors:1:delayedEgressSeconds", "EdgeGuard:mqtt:port"];
        Assert.Equal(expected, result.Errors.Select(e => e.Path));
        TestConfigs.AssertError(result, "EdgeGuard:doors:1:delayedEgressSeconds", ["door 'chancery'", "output 'lock-chancery'", "trapped"]);
        Assert.StartsWith($"Configuration has {expected.Length} problems:", result.ToReport(), StringComparison.Ordinal);
    }

    [Fact]
    public void Egress_lock_with_a_hardwired_exit_needs_no_door()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("doors");
            k.Set("outputs:0:hardwiredExit", "true");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Config!.Site.DoorList);
        Assert.True(result.Config.Site.Output("lock-lobby").Egress);
    }

    [Fact]
    public void Egress_lock_with_a_hardwired_exit_may_have_a_door_without_an_exit_button()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("doors:0:requestToExit");
            k.Set("outputs:0:hardwiredExit", "TRUE"); // booleans are case-insensitive, like every value
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(Assert.Single(result.Config!.Site.DoorList).RequestToExit);
    }

    [Fact]
    public void Explicit_hardwiredExit_false_on_an_egress_lock_still_needs_the_exit_button()
    {
        var fine = TestConfigs.Read(k => k.Set("outputs:0:hardwiredExit", "false"));
        var trapped = TestConfigs.Read(k =>
        {
            k.Set("outputs:0:hardwiredExit", "false");
            k.Drop("doors");
        });

        Assert.True(fine.IsValid, fine.ToReport());
        TestConfigs.AssertError(trapped, "EdgeGuard:outputs:0:egress", ["no door has 'lock-lobby' as its lock"]);
    }

    [Fact]
    public void Every_egress_lock_problem_is_listed_at_once_with_the_other_problems()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("doors");                                  // lock-lobby: egress, no door
            k.Drop("outputs:0:hardwiredExit");                // ... and no other way out
            k.Set("outputs:5:id", "lock-side");               // a second egress lock ...
            k.Set("outputs:5:kind", "lock");
            k.Set("outputs:5:line", "14");
            k.Set("outputs:5:activeLevel", "high");
            k.Set("outputs:5:zone", "lobby");
            k.Set("outputs:5:failMode", "failSafe");
            k.Set("outputs:5:egress", "true");
            k.Set("doors:0:id", "side");                      // ... whose door has no exit button
            k.Set("doors:0:lock", "lock-side");
            k.Set("outputs:1:hardwiredExit", "true");         // on a non-egress lock
            k.Set("outputs:2:hardwiredExit", "true");         // on a siren
            k.Set("mqtt:port", "abc");                        // and something unrelated
        });

        // The exit checks need the doors, so they follow the outputs' own keys, before mqtt.
        string[] expected =
        [
            "EdgeGuard:outputs:1:hardwiredExit",
            "EdgeGuard:outputs:2:hardwiredExit",
            "EdgeGuard:outputs:0:egress",
            "EdgeGuard:outputs:5:egress",
            "EdgeGuard:mqtt:port",
        ];
        Assert.Equal(expected, result.Errors.Select(e => e.Path));
        TestConfigs.AssertError(result, "EdgeGuard:outputs:0:egress", ["output 'lock-lobby'", "no door has 'lock-lobby'"]);
        TestConfigs.AssertError(result, "EdgeGuard:outputs:5:egress", ["output 'lock-side'", "door 'side' has no requestToExit point"]);
        Assert.StartsWith($"Configuration has {expected.Length} problems:", result.ToReport(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_egress_lock_whose_only_way_out_is_the_gateway_is_accepted_with_a_warning_to_wire_a_hardware_exit()
    {
        // Its door's exit button, read by the gateway, is the only way out in a lockdown: the
        // gateway stopped, or its chip not answering, and the people inside are trapped.
        var result = TestConfigs.Read(k => k.Drop("outputs:0:hardwiredExit"));

        Assert.True(result.IsValid, result.ToReport());
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("EdgeGuard:outputs:0:egress", warning.Path);
        Assert.StartsWith("egress lock 'lock-lobby' opens from inside during a lockdown only through the gateway", warning.Message, StringComparison.Ordinal);
        Assert.EndsWith("wire a push-to-exit that cuts the lock's power itself (NFPA 101), test it on site, and set hardwiredExit to true", warning.Message, StringComparison.Ordinal);
        Assert.Empty(TestConfigs.Read(_ => { }).Warnings); // wired so, as the base config is
    }

    [Fact]
    public void Two_egress_locks_without_an_exit_are_both_reported()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("doors");
            k.Drop("outputs:0:hardwiredExit");
            k.Set("outputs:1:failMode", "failSafe");
            k.Set("outputs:1:egress", "true");
        });

        Assert.Equal(["EdgeGuard:outputs:0:egress", "EdgeGuard:outputs:1:egress"], result.Errors.Select(e => e.Path));
        Assert.All(result.Errors, e => Assert.Contains("trapped", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_non_egress_lock_needs_no_exit()
    {
        // lock-chancery (egress false) has no door in the baseline: entry-only doors may stay shut.
        var result = TestConfigs.Read(_ => { });

        Assert.True(result.IsValid, result.ToReport());
        Assert.DoesNotContain(result.Config!.Site.DoorList, d => d.LockId == "lock-chancery");
        Assert.Contains(result.Config.Site.Outputs, o => o is { Id: "lock-chancery", Kind: OutputKind.Lock, Egress: false });
    }
}
