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
            output.WriteLine(Line(logLevel, formatter(state, exception), exception));
        }
        catch (InvalidOperationException)
        {
            // The test is over; late lines from a background loop are dropped.
        }
    }

    /// <summary>One log line as the test loggers write it: time, level, message, exception.</summary>
    internal static string Line(LogLevel logLevel, string message, Exception? exception) =>
        $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {message}{(exception is null ? string.Empty : " | " + exception.Message)}";
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

/// <summary>
/// The last lines logged, kept rather than written (a flood test logs tens of thousands), written
/// to the test's output by <see cref="WriteTo"/>: a quiet harness still shows, when its test fails,
/// what the gateway logged last.
/// </summary>
public sealed class TailLog
{
    private const int Keep = 200;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
    private long _dropped;

    /// <summary>A logger for <typeparamref name="T"/> that keeps its lines here.</summary>
    public ILogger<T> For<T>() => new Logger<T>(this);

    /// <summary>Writes the kept lines, after a count of those that were not kept.</summary>
    public void WriteTo(ITestOutputHelper output)
    {
        try
        {
            output.WriteLine($"--- the gateway's last {_lines.Count} log lines ({Interlocked.Read(ref _dropped)} earlier ones not kept) ---");
            foreach (var line in _lines)
            {
                output.WriteLine(line);
            }
        }
        catch (InvalidOperationException)
        {
            // The test is over.
        }
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Keep && _lines.TryDequeue(out _))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private sealed class Logger<T>(TailLog tail) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            tail.Add($"{typeof(T).Name} {TestLog<T>.Line(logLevel, formatter(state, exception), exception)}");
    }
}
