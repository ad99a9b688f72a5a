namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The egress-exit cases of <see cref="BrokenConfigTests"/>: an egress lock needs a way out that a
/// lockdown cannot lock (its door's exit button, or a hardwired exit), and <c>hardwiredExit</c>
/// belongs on egress locks only.
/// </summary>
public sealed partial class BrokenConfigTests
{
    // The base config's lobby maglock has a push-to-exit that cuts its power (TestConfigs): the
    // cases of a lock with no other way out take it away.
    private const string HardwiredExit = "outputs:0:hardwiredExit";

    // A property, not a field: Cases (in the other file) reads it while the type initialises.
    private static BrokenCase[] EgressCases =>
    [
        new("egress lock with no door", k => { k.Drop("doors"); k.Drop(HardwiredExit); }, "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "no door has 'lock-lobby' as its lock", "trapped", "lockdown",
             "requestToExit", "hardwiredExit to true"]),
        new("egress lock whose door has no exit button", k => { k.Drop("doors:0:requestToExit"); k.Drop(HardwiredExit); }, "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "door 'lobby' has no requestToExit point", "trapped", "lockdown", "hardwiredExit to true"]),
        // Only the exit button starts the countdown (DoorSupervision.OnRequestToExit): without one
        // the door never opens from inside while it is locked.
        new("egress lock whose delayed-egress door has no exit button", k =>
            {
                k.Drop("doors:0:requestToExit");
                k.Drop(HardwiredExit);
                k.Set("doors:0:delayedEgressSeconds", "15");
                k.Set("doors:0:localAlarm", "strobe-lobby");
                k.Set("doors:0:relockKeyswitches:0", "key-guardroom");
            },
            "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "door 'lobby' has no requestToExit point", "only its exit button starts the delay",
             "trapped", "hardwiredExit to true"]),
        // Delayed egress is an exit (NFPA 101 7.2.1.6.1): a fire releases only egress locks, and a
        // lockdown ignores the exit button of any other: people at the door would be trapped.
        new("delayed egress on a failSecure lock not marked egress", k => AddChanceryDoorWithDelayedEgress(k),
            "EdgeGuard:doors:1:delayedEgressSeconds",
            ["door 'chancery'", "output 'lock-chancery'", "failSecure lock not marked egress", "fire", "trapped",
             "set egress to true and failMode to failSafe", "or remove delayedEgressSeconds"]),
        new("delayed egress on a failSafe lock not marked egress", k =>
            {
                AddChanceryDoorWithDelayedEgress(k);
                k.Set("outputs:1:failMode", "failSafe");
            },
            "EdgeGuard:doors:1:delayedEgressSeconds",
            ["door 'chancery'", "output 'lock-chancery'", "is not marked egress", "trapped", "on output 'lock-chancery' set egress to true,"]),
        new("hardwiredExit on a non-egress lock", k => k.Set("outputs:1:hardwiredExit", "true"), "EdgeGuard:outputs:1:hardwiredExit",
            ["output 'lock-chancery'", "hardwiredExit applies only to an egress lock", "egress"]),
        new("hardwiredExit false on a non-egress lock", k => k.Set("outputs:1:hardwiredExit", "false"), "EdgeGuard:outputs:1:hardwiredExit",
            ["hardwiredExit applies only to an egress lock"]),
        new("hardwiredExit on a siren", k => k.Set("outputs:2:hardwiredExit", "true"), "EdgeGuard:outputs:2:hardwiredExit",
            ["output 'siren-main'", "hardwiredExit applies only to locks", "siren"]),
        new("'yes' as hardwiredExit", k => k.Set("outputs:0:hardwiredExit", "yes"), "EdgeGuard:outputs:0:hardwiredExit",
            ["'yes' is not a boolean"]),
        // The door's own error says what is wrong; the lock is not also reported as having no door.
        new("egress lock whose door names a siren as its lock", k => k.Set("doors:0:lock", "siren-main"), "EdgeGuard:doors:0:lock",
            ["output 'siren-main' is a siren, not a lock"]),
        new("egress lock whose door's exit button is misspelled", k => k.Set("doors:0:requestToExit:0", "rex-lobbby"),
            "EdgeGuard:doors:0:requestToExit:0", ["no point 'rex-lobbby'"]),
        new("egress lock whose door has no id", k => k.Drop("doors:0:id"), "EdgeGuard:doors:0:id", ["id is required"]),
    ];

    /// <summary>
    /// A second door, on the baseline's non-egress lock-chancery, with delayed egress complete (exit
    /// button, local alarm, relock key): only the lock it is on can be wrong.
    /// </summary>
    internal static void AddChanceryDoorWithDelayedEgress(Dictionary<string, string?> k)
    {
        k.Set("points:11:id", "rex-chancery");
        k.Set("points:11:kind", "requestToExit");
        k.Set("points:11:line", "8");
        k.Set("points:11:activeLevel", "low");
        k.Set("points:11:pull", "up");
        k.Set("points:11:debounceMs", "25");
        k.Set("points:11:zone", "chancery");
        k.Set("doors:1:id", "chancery");
        k.Set("doors:1:lock", "lock-chancery");
        k.Set("doors:1:requestToExit:0", "rex-chancery");
        k.Set("doors:1:delayedEgressSeconds", "15");
        k.Set("doors:1:localAlarm", "strobe-lobby");
        k.Set("doors:1:relockKeyswitches:0", "key-guardroom");
    }
}
