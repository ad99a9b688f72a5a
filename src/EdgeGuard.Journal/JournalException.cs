namespace EdgeGuard.Journal;

/// <summary>
/// The gateway's journal database cannot be used: it is missing, unreadable, not a SQLite file,
/// from a newer build, or holds data that does not make sense. The message always names the file
/// and the problem, because the person reading it is a technician at a gateway, not a debugger.
/// </summary>
public sealed class JournalException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public JournalException()
        : base("The journal database cannot be used.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public JournalException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public JournalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private JournalException(string databasePath, string problem, Exception? innerException)
        : base($"Journal database '{databasePath}': {problem}", innerException)
    {
        DatabasePath = databasePath;
    }

    /// <summary>Full path of the database file concerned, when known.</summary>
    public string? DatabasePath { get; private init; }

    /// <summary>
    /// The file was written by a newer EdgeGuard (a schema this build does not know): no restart or
    /// reboot of this build can fix it, only a newer release.
    /// </summary>
    public bool FromNewerBuild { get; private init; }

    /// <summary>
    /// The file is damaged in a way found before SQLite read it (a write-ahead log beside a missing
    /// or empty database file): like SQLITE_CORRUPT, the same at every try, fixed only by a new file.
    /// </summary>
    public bool Damaged { get; private init; }

    /// <summary>Builds the exception for a problem with a given database file.</summary>
    internal static JournalException For(string databasePath, string problem, Exception? innerException = null) =>
        new(databasePath, problem, innerException);

    /// <summary>
    /// The same refusal, with what led the gateway to this file added to its message; the file,
    /// the newer-build flag and this exception (as the cause) are kept.
    /// </summary>
    internal JournalException WithContext(string context) =>
        new($"{Message}; {context}", this) { FromNewerBuild = FromNewerBuild, Damaged = Damaged, DatabasePath = DatabasePath };

    // Damage found before SQLite read the file (JournalDatabase.OrphanedWal.cs), so there is no
    // SQLITE_CORRUPT to say it: the opener treats it as it treats one (JournalOpener.IsDamaged).
    internal static JournalException DamagedFile(string databasePath, string problem) =>
        new(databasePath, problem, null) { Damaged = true };

    /// <summary>Builds the exception for a file whose schema is newer than this build's.</summary>
    internal static JournalException NewerSchema(string databasePath, string problem) =>
        new(databasePath, problem, null) { FromNewerBuild = true };
}
