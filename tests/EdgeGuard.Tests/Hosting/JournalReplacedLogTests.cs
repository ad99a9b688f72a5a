using System.Collections.Concurrent;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The export command the journal-replaced line gives a technician: the kept file's path was left
/// unquoted, so a journal.path with a space (or a quote) in it made a command that exports nothing.
/// </summary>
public sealed class JournalReplacedLogTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 4, 20, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-replaced-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_export_command_names_the_kept_file_as_one_shell_word()
    {
        var state = Directory.CreateDirectory(Path.Combine(_dir, "it's the state")).FullName;
        var keptAt = Path.Combine(state, JournalDatabase.FileName + ".damaged-20261204T200000000Z");
        var log = new JournalLog();
        using var database = JournalDatabase.Open(Path.Combine(state, JournalDatabase.FileName));

        using (JournalLogging.Create(new JournalOpening(database, new JournalReplaced(At, database.Path, keptAt, "not a database")), TimeProvider.System, JournalLimits.Default, log))
        {
        }

        var line = Assert.Single(log.Lines, l => l.Contains("Journal database replaced", StringComparison.Ordinal));
        var command = line[(line.IndexOf("export it with `", StringComparison.Ordinal) + "export it with `".Length)..];
        command = command[..command.IndexOf('`', StringComparison.Ordinal)];
        Assert.Equal(["sudo", "-u", "edgeguard", "edgeguard", "journal", "export", "--db", keptAt], ShellWords.Of(command));
    }

    private sealed class JournalLog : ILogger<EventJournal>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
