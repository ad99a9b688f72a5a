using System.Collections.Concurrent;
using EdgeGuard.Controller;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Every line a <see cref="SiteController"/> logs, formatted as a console logger formats it, with
/// its level and event id; for tests that read what a technician would see.
/// </summary>
internal sealed class ControllerLog : ILogger<SiteController>
{
    private readonly ConcurrentQueue<(LogLevel Level, int Id, string Text)> _lines = new();

    /// <summary>The lines logged so far, in order.</summary>
    public IReadOnlyList<(LogLevel Level, int Id, string Text)> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}
