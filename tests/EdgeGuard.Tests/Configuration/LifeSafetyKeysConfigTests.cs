namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A key that resets a fire release or relocks a delayed-egress door must not also start anything: the decider
/// judges the fire first and then the rest of the same turn, so one turn to relock egress after a fire also
/// started a drill, an evacuation or a threat level, and the configuration validated.
/// </summary>
public sealed class LifeSafetyKeysConfigTests
{
    [Theory]
    [InlineData("key-drill", "starts the lockdown's drill")]
    [InlineData("key-evacuate", "starts scenario 'evacuate'")]
    public void A_fire_reset_key_that_also_starts_a_scenario_is_refused(string key, string what)
    {
        var result = TestConfigs.Read(k => k.Set("lifeSafety:fireResetKeyswitches:1", key));

        TestConfigs.AssertError(result, "EdgeGuard:lifeSafety:fireResetKeyswitches", $"'{key}' also {what}", "resets a fire release");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void A_fire_reset_key_that_also_sets_a_threat_level_is_refused()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("threatLevels:levels:2:selectKeyswitches:0", "key-evacuate");
            k.Drop("scenarios:0:triggers");
            k.Set("scenarios:0:triggers:0", "key-drill");
            k.Drop("lockdown:drillTriggers");
            k.Set("lifeSafety:fireResetKeyswitches:1", "key-evacuate");
        });

        TestConfigs.AssertError(result, "EdgeGuard:lifeSafety:fireResetKeyswitches", "'key-evacuate' also sets threat level 5");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void A_relock_key_that_also_starts_a_drill_is_refused_and_one_that_also_ends_a_scenario_is_not()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("doors:0:delayedEgressSeconds", "15");
            k.Set("doors:0:localAlarm", "strobe-lobby");
            k.Set("doors:0:relockKeyswitches:0", "key-guardroom"); // also clears the lockdown and resets a fire: allowed
            k.Set("doors:0:relockKeyswitches:1", "key-drill");
        });

        TestConfigs.AssertError(result, "EdgeGuard:doors:0:relockKeyswitches", "door 'lobby'", "relock keyswitch 'key-drill' also starts the lockdown's drill");
        Assert.Single(result.Errors);
    }
}
