using Xunit.Abstractions;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>A site state the test sets directly.</summary>
public sealed class FakeSiteState : ISiteStateSource
{
    private SiteState? _current;

    /// <inheritdoc/>
    public SiteState? Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }
}

/// <summary>Writes log lines to the test's output (shown when a test fails).</summary>
public sealed class TestLog<T>(ITestOutputHelper output) : ILogger<T>
{
    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test is over; late lines from a background loop are dropped.
        }
    }
}

/// <summary>A <see cref="TestLog{T}"/> that also keeps every line, for tests of what is logged.</summary>
public sealed class RecordingLog<T>(ITestOutputHelper output) : ILogger<T>
{
    private readonly TestLog<T> _output = new(output);
    private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _lines = new();

    /// <summary>Every line logged so far, oldest first.</summary>
    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Lines => [.. _lines];

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
        _output.Log(logLevel, eventId, state, exception, formatter);
    }
}
