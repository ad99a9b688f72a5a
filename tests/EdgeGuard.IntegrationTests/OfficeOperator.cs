using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// An office operator for tests: a fresh P-256 key, its public key file (what the office hands the
/// gateway), the config overrides that register it, and signing as that operator.
/// </summary>
internal sealed class OfficeOperator : IDisposable
{
    private OfficeOperator(string name, string role, string publicKeyFile)
    {
        Name = name;
        Role = role;
        PublicKeyFile = publicKeyFile;
    }

    public string Name { get; }

    public string Role { get; }

    public string PublicKeyFile { get; }

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Creates the key and writes <c>{name}.pub.pem</c> into <paramref name="directory"/>.</summary>
    public static async Task<OfficeOperator> CreateAsync(string directory, string name = "sup.jones", string role = "supervisor")
    {
        var created = new OfficeOperator(name, role, Path.Combine(directory, $"{name}.pub.pem"));
        await File.WriteAllTextAsync(created.PublicKeyFile, created.Key.ExportSubjectPublicKeyInfoPem());
        return created;
    }

    /// <summary>The <c>EdgeGuard:commands:operators:{index}</c> overrides that register this operator.</summary>
    public IReadOnlyList<string> Overrides(int index = 0) =>
    [
        $"EdgeGuard:commands:operators:{index}:name={Name}",
        $"EdgeGuard:commands:operators:{index}:role={Role}",
        $"EdgeGuard:commands:operators:{index}:publicKeyFile={PublicKeyFile}",
    ];

    /// <summary>A command of <paramref name="type"/> for one gateway, signed now by this operator.</summary>
    public byte[] Sign(CommandType type, string site, string gateway, JsonObjectItem? args = null, TimeSpan? ttl = null) =>
        CommandSigner.Sign(CommandSigner.Create(type, site, gateway, Name, DateTimeOffset.UtcNow, ttl ?? TimeSpan.FromSeconds(60), args), Key).ToPayload();

    public void Dispose() => Key.Dispose();
}

/// <summary>Reads a gateway's event journal straight from its SQLite file, as an auditor would.</summary>
internal static class JournalFile
{
    /// <summary>Every journaled event, oldest first.</summary>
    public static List<(long Seq, string Id, string Type, string Data)> Events(string databasePath)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT seq, id, type, data FROM events ORDER BY seq;";
        using var reader = query.ExecuteReader();
        var events = new List<(long, string, string, string)>();
        while (reader.Read())
        {
            events.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return events;
    }

    /// <summary>The journal of a gateway whose state directory is <paramref name="stateDirectory"/>.</summary>
    public static List<(long Seq, string Id, string Type, string Data)> InStateDirectory(string stateDirectory) =>
        Events(Path.Combine(stateDirectory, "edgeguard.db"));

    /// <summary>
    /// Every journaled event, read once the journal holds one of <paramref name="type"/>. An event can
    /// reach the office a moment before the disk: with the broker on the gateway, its commit waits up
    /// to 2 ms for the PUBACK (docs/journal.md), so an auditor who just saw it over MQTT waits here.
    /// </summary>
    public static async Task<List<(long Seq, string Id, string Type, string Data)>> EventsOnceAsync(string databasePath, string type, TimeSpan timeout)
    {
        List<(long Seq, string Id, string Type, string Data)> events = [];
        await Eventually.TrueAsync(() => (events = Events(databasePath)).Exists(e => e.Type == type), timeout, $"{type} in the journal");
        return events;
    }

    /// <summary><see cref="EventsOnceAsync"/> for the gateway whose state directory is <paramref name="stateDirectory"/>.</summary>
    public static Task<List<(long Seq, string Id, string Type, string Data)>> InStateDirectoryOnceAsync(string stateDirectory, string type, TimeSpan timeout) =>
        EventsOnceAsync(Path.Combine(stateDirectory, "edgeguard.db"), type, timeout);
}
