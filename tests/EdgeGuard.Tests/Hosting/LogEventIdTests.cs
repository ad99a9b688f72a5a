using System.Reflection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// Every log line the gateway writes has an event id of its own, across all its assemblies: a
/// technician filters the journal by it (<c>journalctl -o json</c>, EventId) and the docs name
/// lines by it. Two lines of the command path once shared 354–356 (a clock refusal and a session
/// takeover), so a filter for one showed the other.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void No_two_log_lines_of_the_gateway_share_an_event_id()
    {
        Assembly[] assemblies =
        [
            typeof(EdgeGuard.Controller.SiteController).Assembly,
            typeof(EdgeGuard.Mqtt.Publishing.OutboxPublisher).Assembly,
            typeof(EdgeGuard.Journal.EventJournal).Assembly,
            typeof(EdgeGuard.Hardware.GpioInputLines).Assembly,
            typeof(EdgeGuard.Core.Moment).Assembly,
        ];
        var lines = assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is { EventId: > 0 })
            .ToList();

        Assert.True(lines.Count > 100, $"found only {lines.Count} log lines: the scan misses some");
        var shared = lines
            .GroupBy(x => x.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method))}")
            .ToList();
        Assert.True(shared.Count == 0, "event ids used by more than one log line:\n" + string.Join("\n", shared));
    }
}
