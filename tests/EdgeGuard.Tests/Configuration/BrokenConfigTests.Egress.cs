namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The egress-exit cases of <see cref="BrokenConfigTests"/>: an egress lock needs a way out that a
/// lockdown cannot lock (its door's exit button, or a hardwired exit), and <c>hardwiredExit</c>
/// belongs on egress locks only.
/// </summary>
public sealed partial class BrokenConfigTests
{
    // A property, not a field: Cases (in the other file) reads it while the type initialises.
    private static BrokenCase[] EgressCases =>
    [
        new("egress lock with no door", k => k.Drop("doors"), "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "no door has 'lock-lobby' as its lock", "trapped", "lockdown",
             "requestToExit", "hardwiredExit to true"]),
        new("egress lock whose door has no exit button", k => k.Drop("doors:0:requestToExit"), "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "door 'lobby' has no requestToExit point", "trapped", "lockdown", "hardwiredExit to true"]),
        // Only the exit button starts the countdown (DoorSupervision.OnRequestToExit): without one
        // the door never opens from inside while it is locked.
        new("egress lock whose delayed-egress door has no exit button", k =>
            {
                k.Drop("doors:0:requestToExit");
                k.Set("doors:0:delayedEgressSeconds", "15");
                k.Set("doors:0:localAlarm", "strobe-lobby");
                k.Set("doors:0:relockKeyswitches:0", "key-guardroom");
            },
            "EdgeGuard:outputs:0:egress",
            ["output 'lock-lobby'", "door 'lobby' has no requestToExit point", "only its exit button starts the delay",
             "trapped", "hardwiredExit to true"]),
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
}
