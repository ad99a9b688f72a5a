using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>A small but complete site used across Core tests.</summary>
internal static class TestSite
{
    public static readonly TimeSpan PanicLockout = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan ContactDebounce = TimeSpan.FromMilliseconds(25);
    public static readonly TimeSpan Siren = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan FireLockout = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan HeldOpen = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Release = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DelayedEgress = TimeSpan.FromSeconds(15);

    public static SiteDefinition Create(params string[] scopeZones) => new(
        "site-test",
        "gw-test",
        [new("a", "A"), new("b", "B"), new("c", "C")],
        [
            new("panic-a", PointKind.PanicButton, 1, ActiveHigh: false, LinePull.Up, PanicLockout, "a"),
            new("panic-b", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, PanicLockout, "b"),
            new("door-a", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Up, ContactDebounce, "a"),
            new("fence-c", PointKind.Perimeter, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(200), "c"),
            new("key-a", PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, ContactDebounce, "a"),
            new("key-rogue", PointKind.Keyswitch, 6, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("fire-panel", PointKind.FireAlarm, 7, ActiveHigh: true, LinePull.Down, FireLockout, "c"),
            new("key-fire", PointKind.Keyswitch, 8, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("rex-a", PointKind.RequestToExit, 9, ActiveHigh: false, LinePull.Up, ContactDebounce, "a"),
            new("rex-b", PointKind.RequestToExit, 16, ActiveHigh: false, LinePull.Up, ContactDebounce, "b"),
            new("key-door", PointKind.Keyswitch, 17, ActiveHigh: false, LinePull.Up, ContactDebounce, "b"),
            new("key-evac", PointKind.Keyswitch, 18, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("key-drill", PointKind.Keyswitch, 19, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("key-shelter", PointKind.Keyswitch, 20, ActiveHigh: false, LinePull.Up, ContactDebounce, "b"),
            new("key-threat1", PointKind.Keyswitch, 21, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("key-threat5", PointKind.Keyswitch, 22, ActiveHigh: false, LinePull.Up, ContactDebounce, "c"),
            new("holdup-b", PointKind.PanicButton, 23, ActiveHigh: false, LinePull.Up, PanicLockout, "b") { Silent = true },
        ],
        [
            new("lock-egress", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("lock-entry", OutputKind.Lock, 11, ActiveHigh: true, "b", LockFailMode.FailSecure, NormallyLocked: true),
            new("lock-c", OutputKind.Lock, 12, ActiveHigh: false, "c", LockFailMode.FailSafe),
            new("siren", OutputKind.Siren, 13, ActiveHigh: true, "a"),
            new("strobe", OutputKind.Strobe, 14, ActiveHigh: true, "b"),
            new("lamp", OutputKind.Indicator, 15, ActiveHigh: true, "c"),
        ],
        new LockdownPolicy(scopeZones, Siren, ["key-a"]),
        new LifeSafetyPolicy(["key-fire"]),
        [
            new DoorDefinition("door-egress", "lock-egress", "door-a", ["rex-a"], HeldOpen, Release),
            // Delayed egress on a fail-secure entry lock: the config refuses this (a fire never
            // releases the lock, GatewayConfigReader.Doors.cs); a site built in code keeps it so
            // the door rules are tested on a secure door too.
            new DoorDefinition("door-entry", "lock-entry", null, ["rex-b"], HeldOpen, Release, DelayedEgress, "siren", ["key-door"]),
        ])
    {
        ExtraScenarios =
        [
            new("evacuate", SiteMode.Evacuation, [], 200, ["key-evac"], [], ["key-a"], TimeSpan.FromSeconds(300)),
            new("shelter-c", SiteMode.ShelterInPlace, ["c"], 50, ["key-shelter"], [], ["key-a"], Siren),
        ],
        LockdownDrillTriggers = ["key-drill"],
        ThreatLevels =
        [
            new(1, "normal", ["c"], BreachStartsLockdown: false, HeldOpen: null, ["key-threat1"]),
            new(5, "critical", ["c", "a"], BreachStartsLockdown: true, HeldOpen: TimeSpan.FromSeconds(10), ["key-threat5"]),
        ],
        DrillMutedOutputs = ["siren"],
    };

    private static int _commandIds;

    /// <summary>
    /// A verified office command for this site (the signature is not checked past the verifier):
    /// what the decider is given once <c>CommandVerifier</c> accepted it. Each gets a new id.
    /// </summary>
    public static VerifiedCommand Command(CommandType type, string op, OperatorRole role, params (string Key, JsonItem Value)[] args) =>
        SignedAt(0, type, op, role, args);

    /// <summary>As <see cref="Command"/>, signed by the office <paramref name="issuedAt"/> seconds into the test.</summary>
    public static VerifiedCommand SignedAt(double issuedAt, CommandType type, string op, OperatorRole role = OperatorRole.Supervisor, params (string Key, JsonItem Value)[] args) =>
        new(new CommandEnvelope(
            $"cmd-{Interlocked.Increment(ref _commandIds)}", type, "site-test", "gw-test", op,
            At(issuedAt).Utc, At(issuedAt + 60).Utc,
            new JsonObjectItem(args.ToImmutableSortedDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)),
            ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])), role);

    /// <summary>
    /// <paramref name="command"/> as if signed <paramref name="at"/> seconds into the test: sent
    /// as soon as signed, it is not older than the alerts before it (an all-clear signed before
    /// the latest alert counts for nothing).
    /// </summary>
    public static VerifiedCommand SignedAt(VerifiedCommand command, double at) =>
        command with { Command = command.Command with { IssuedAt = At(at).Utc, ExpiresAt = At(at + 60).Utc } };

    public static Moment At(double seconds) =>
        new(TimeSpan.FromSeconds(seconds), new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddSeconds(seconds));
}
