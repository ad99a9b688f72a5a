namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The cases of <see cref="BrokenConfigTests"/> that validated before and did nothing when it
/// mattered: a lockdown or shelter that locks no door, a lockdown no one on site can clear, a fire
/// input with no egress lock to release, a cut cable that reads quiet (or a pull the config does not
/// state), and an exit button that must be held for seconds.
/// </summary>
public sealed partial class BrokenConfigTests
{
    // A property, not a field: Cases (in the other file) reads it while the type initialises.
    private static BrokenCase[] SafetyCases =>
    [
        // --- a response that locks must lock something ------------------------------------------
        new("lockdown scoped to zones without a lock", k => k.Set("lockdown:zones:0", "perimeter"), "EdgeGuard:lockdown:zones",
            ["the lockdown covers zones perimeter, where there is no lock output", "panic button 'panic-lobby'",
             "would lock nothing", "lock-lobby in lobby, lock-chancery in chancery", "leave zones empty"]),
        new("shelter scenario over zones without a lock", k =>
            {
                k.Set("scenarios:1:id", "shelter-guardroom");
                k.Set("scenarios:1:mode", "shelterInPlace");
                k.Set("scenarios:1:zones:0", "guardroom");
                k.Set("scenarios:1:zones:1", "perimeter");
                k.Set("scenarios:1:rank", "60");
                k.Set("scenarios:1:releasers:0", "key-guardroom");
            },
            "EdgeGuard:scenarios:1:zones",
            ["scenario 'shelter-guardroom'", "a shelterInPlace scenario locks the doors in its zones",
             "its zones (guardroom, perimeter) have no lock output", "would lock nothing", "lock-lobby in lobby"]),
        new("lockdown scenario over a zone without a lock", k =>
            {
                k.Set("scenarios:1:id", "lockdown-fence");
                k.Set("scenarios:1:mode", "lockdown");
                k.Set("scenarios:1:zones:0", "perimeter");
                k.Set("scenarios:1:rank", "150");
                k.Set("scenarios:1:releasers:0", "key-guardroom");
            },
            "EdgeGuard:scenarios:1:zones", ["scenario 'lockdown-fence'", "a lockdown scenario", "would lock nothing"]),

        // --- a lockdown started on site is cleared on site ---------------------------------------
        new("panic buttons but no clear keyswitch", k => k.Drop("lockdown:clearKeyswitches"), "EdgeGuard:lockdown:clearKeyswitches",
            ["name at least one keyswitch point that may clear a lockdown", "panic button 'panic-lobby', panic button 'panic-guardroom', drill keyswitch 'key-drill'",
             "office link down", "stay locked down"]),

        // --- a fire input releases an egress lock ------------------------------------------------
        new("fire input with no egress lock", k => { k.Set("outputs:0:egress", "false"); k.Drop(HardwiredExit); }, "EdgeGuard:outputs",
            ["fire inputs (fire-panel) release every egress lock", "none of the locks (lock-lobby, lock-chancery) is marked egress",
             "a fire would open no door", "set egress to true"]),

        // --- a cut cable reads as the kind requires ----------------------------------------------
        new("door contact that reads closed when cut", k => k.Set("points:0:activeLevel", "low"), "EdgeGuard:points:0:activeLevel",
            ["point 'door-lobby'", "a doorContact must read open when its cable is cut", "forced unseen",
             "with pull 'up' and activeLevel 'low' a cut reads inactive", "normally-closed contact and set activeLevel 'high'"]),
        new("fence loop that reads quiet when cut", k => k.Set("points:2:pull", "down"), "EdgeGuard:points:2:activeLevel",
            ["point 'fence-north'", "a perimeter must read a breach when its cable is cut", "with pull 'down' and activeLevel 'high'"]),
        new("tamper switch that reads shut when cut", k => k.Set("points:5:activeLevel", "low"), "EdgeGuard:points:5:activeLevel",
            ["point 'tamper-gateway'", "a tamper must read tampered when its cable is cut"]),
        new("pull none without the external pull", k => k.Set("points:3:pull", "none"), "EdgeGuard:points:3:externalPull",
            ["point 'panic-lobby'", "with pull 'none'", "validate cannot see", "a panicButton must read pressed when its cable is cut",
             "externalPull 'up' or 'down'"]),
        new("pull left out without the external pull", k => k.Drop("points:6:pull"), "EdgeGuard:points:6:externalPull",
            ["point 'key-guardroom'", "a keyswitch must read released when its cable is cut"]),
        new("external pull-down under a normally-open panic button", k =>
            {
                k.Set("points:3:pull", "none");
                k.Set("points:3:externalPull", "down");
            },
            "EdgeGuard:points:3:activeLevel",
            ["a panicButton must read pressed when its cable is cut", "with externalPull 'down' and activeLevel 'high' a cut reads inactive"]),
        new("external pull beside the line's own", k => k.Set("points:0:externalPull", "up"), "EdgeGuard:points:0:externalPull",
            ["applies only with pull 'none', but pull is 'up'", "remove externalPull"]),
        new("bad external pull", k => { k.Set("points:0:pull", "none"); k.Set("points:0:externalPull", "none"); },
            "EdgeGuard:points:0:externalPull", ["'none' is not valid", "up, down"]),

        // --- an exit button lets people out at once ----------------------------------------------
        new("exit button debounce over the cap", k => k.Set("points:7:debounceMs", "501"), "EdgeGuard:points:7:debounceMs",
            ["point 'rex-lobby'", "debounceMs 501 is too long for a requestToExit", "hold the exit button", "at most 500 ms"]),
    ];
}
