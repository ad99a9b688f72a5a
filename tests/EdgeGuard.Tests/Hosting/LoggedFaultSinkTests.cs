using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The publisher's faults reach both the log and the journal: a fault is logged as an error, its
/// "-restored" counterpart as information (an operator scanning for errors must not see the good
/// news as a new problem), and both are journaled so the office receives them.
/// </summary>
public sealed class LoggedFaultSinkTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-faultsink-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_fault_is_logged_as_an_error_its_restore_as_information_and_both_are_journaled()
    {
        using var database = JournalDatabase.Open(Path.Combine(_dir, JournalDatabase.FileName));
        using var journal = new EventJournal(database, TimeProvider.System);
        var log = new LevelLog();
        var sink = new LoggedFaultSink(journal, log);

        sink.Publish([new BrokerFault(T0, "the broker refused the connection: NotAuthorized (135)")]);
        sink.Publish([new BrokerFaultRestored(T0.AddSeconds(5), Refusals: 3)]);
        await journal.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(
            [(LogLevel.Error, "fault.broker"), (LogLevel.Information, "fault.broker-restored")],
            log.Lines.Select(line => (line.Level, line.Text.Split(' ')[0])));
        // Its own log event id: 310 is the publisher's "event not delivered".
        Assert.All(log.Lines, line => Assert.Equal(342, line.EventId));
        Assert.Equal(["fault.broker", "fault.broker-restored"], journal.ReadAfter(0, 10).Select(r => r.Type));
    }

    private sealed class LevelLog : ILogger<LoggedFaultSink>
    {
        public List<(LogLevel Level, string Text, int EventId)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), eventId.Id));
    }
}
