using BenchmarkDotNet.Attributes;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// The event payload the publisher writes for every event, right before its PUBLISH: a door
/// opening as the controller journals it (its data text one of the cached ones, as on the live path).
/// </summary>
[Config(typeof(HotPathConfig))]
public class PayloadBenchmarks
{
    private static readonly Topics Topics = new("embassy-north", "gw-lobby");

    private readonly JournalRecord _doorOpened = new(
        123_456, Guid.CreateVersion7(), new DateTimeOffset(2026, 12, 2, 7, 30, 0, 123, TimeSpan.Zero), TimeSpan.FromSeconds(5),
        "point.activated", "door-lobby", "lobby", Severity.Alarm, false, """{"kind":"doorContact","active":true}""");

    /// <summary>The whole payload of <c>{root}/events</c>, as bytes for the PUBLISH.</summary>
    [Benchmark]
    public byte[] EventPayload_DoorOpened() => Payloads.Event(_doorOpened, Topics, replayed: false, out _);
}
