using EdgeGuard.Core.Site;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// The shipped sample site (src/EdgeGuard/appsettings.json): eight points, five outputs, lockdown
/// over every zone. Built directly rather than read from the file so the micro benchmarks depend
/// only on Core and Hardware, not on the host's configuration reader.
/// </summary>
internal static class BenchSite
{
    public const string Door = "door-lobby";
    public const string Panic = "panic-lobby";
    public const string Key = "key-guardroom";
    public const string Lamp = "lamp-lockdown";

    public static SiteDefinition Create() => new(
        "embassy-demo",
        "gw-chancery",
        [new("lobby", "Public lobby"), new("chancery", "Chancery"), new("perimeter", "Perimeter fence"), new("guardroom", "Guard room")],
        [
            new(Door, PointKind.DoorContact, 17, ActiveHigh: true, LinePull.Up, Ms(25), "lobby"),
            new("door-chancery", PointKind.DoorContact, 27, ActiveHigh: true, LinePull.Up, Ms(25), "chancery"),
            new("fence-north", PointKind.Perimeter, 22, ActiveHigh: true, LinePull.Up, Ms(200), "perimeter"),
            new(Panic, PointKind.PanicButton, 23, ActiveHigh: false, LinePull.Up, Ms(500), "lobby"),
            new("panic-guardroom", PointKind.PanicButton, 24, ActiveHigh: false, LinePull.Up, Ms(500), "guardroom"),
            new("tamper-gateway", PointKind.Tamper, 25, ActiveHigh: true, LinePull.Up, Ms(50), "guardroom"),
            new(Key, PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, Ms(50), "guardroom"),
            new("rex-lobby", PointKind.RequestToExit, 6, ActiveHigh: false, LinePull.Up, Ms(25), "lobby"),
        ],
        [
            new("lock-lobby", OutputKind.Lock, 12, ActiveHigh: true, "lobby", LockFailMode.FailSafe, Egress: true),
            new("lock-chancery", OutputKind.Lock, 13, ActiveHigh: true, "chancery", LockFailMode.FailSecure, NormallyLocked: true),
            new("siren-main", OutputKind.Siren, 16, ActiveHigh: true, "guardroom"),
            new("strobe-lobby", OutputKind.Strobe, 19, ActiveHigh: true, "lobby"),
            new(Lamp, OutputKind.Indicator, 20, ActiveHigh: true, "guardroom"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(120), [Key]));

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);
}
