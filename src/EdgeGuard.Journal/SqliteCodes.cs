using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>The SQLite result codes the journal tells apart (primary codes: the low byte of an extended one).</summary>
internal static class SqliteCodes
{
    public const int ReadOnly = 8;
    public const int IoError = 10;
    public const int Corrupt = 11;
    public const int Full = 13;
    public const int CantOpen = 14;
    public const int NotADatabase = 26;

    /// <summary>SQLITE_IOERR_WRITE: a write() to the file failed (EROFS on a live remount, EIO).</summary>
    public const int IoErrorWrite = IoError | (3 << 8);

    /// <summary>The primary result code of <paramref name="ex"/>.</summary>
    public static int Primary(SqliteException ex) => ex.SqliteErrorCode & 0xFF;

    /// <summary>
    /// The extended result code of <paramref name="ex"/>: Microsoft.Data.Sqlite puts the primary
    /// code in <see cref="SqliteException.SqliteErrorCode"/> and the extended one beside it.
    /// </summary>
    public static int Extended(SqliteException ex) =>
        ex.SqliteExtendedErrorCode != 0 ? ex.SqliteExtendedErrorCode : ex.SqliteErrorCode;

    /// <summary>The file's structure is damaged (or it is not a database at all), not one row's fields.</summary>
    public static bool IsCorrupt(SqliteException ex) => Primary(ex) is Corrupt or NotADatabase;
}
