using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeGuard.Configuration;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Cli;

/// <summary>
/// <c>edgeguard journal verify|export|tail</c>: the audit tools. They open the journal read-only
/// (<see cref="JournalReader"/>), so they run beside the gateway that holds it and cannot alter
/// the evidence they look at.
/// </summary>
internal static class JournalVerbs
{
    /// <summary>How often <c>tail --follow</c> looks for new entries; a person is watching, not a program.</summary>
    internal static TimeSpan FollowInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    private static readonly Option<string?> DbOption = new("--db")
    {
        Description = "The journal database file (instead of stateDirectory/edgeguard.db from --config).",
    };

    public static Command Create()
    {
        var journal = new Command("journal", "Inspect the tamper-evident event journal (read-only; safe while the gateway runs; as the journal's owner: sudo -u edgeguard on a gateway).");

        var officeLastSeq = new Option<long?>("--office-last-seq")
        {
            Description = "Highest seq the security office has received. Without it, deleting the newest entries together with gateway_meta cannot be detected on the gateway alone.",
        };
        var schemaOnly = new Option<bool>("--schema-only")
        {
            Description = "Only say whether this build can open the journal (its schema version): exit 2 when a newer release migrated it. "
                + "Creates nothing beside the file, so any user may run it. Provisioning runs it before switching releases.",
        };
        var verify = new Command("verify", "Walk the hash chain and report every edited, deleted or reordered entry, by seq.") { EdgeGuardCli.ConfigOption, DbOption, officeLastSeq, schemaOnly };
        verify.SetAction(result => result.GetValue(schemaOnly)
            ? SchemaOnlyAsync(result).GetAwaiter().GetResult()
            : WithReader(result, reader => Verify(reader, result.GetValue(officeLastSeq), result.InvocationConfiguration.Output)));
        journal.Subcommands.Add(verify);

        var from = new Option<long>("--from") { Description = "First seq to export.", DefaultValueFactory = _ => 1 };
        var export = new Command("export", "Write entries as JSON lines (MQTT event field names, plus mono, prevHash and hash).") { EdgeGuardCli.ConfigOption, DbOption, from };
        export.SetAction(result => WithReader(result, reader => Export(reader, result.GetValue(from), result.InvocationConfiguration.Output)));
        journal.Subcommands.Add(export);

        var count = new Option<int>("-n", "--lines") { Description = "How many of the newest entries to print.", DefaultValueFactory = _ => 10 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new entries as the gateway journals them, until Ctrl+C." };
        var tail = new Command("tail", "Print the newest entries as JSON lines.") { EdgeGuardCli.ConfigOption, DbOption, count, follow };
        tail.SetAction((result, ct) => WithReaderAsync(result, reader => TailAsync(reader, result.GetValue(count), result.GetValue(follow), result.InvocationConfiguration.Output, ct)));
        journal.Subcommands.Add(tail);
        return journal;
    }

    private static int Verify(JournalReader reader, long? officeLastSeq, TextWriter output)
    {
        var report = JournalVerifier.Verify(reader, officeLastSeq);
        var range = report.FirstSeq is { } first ? Inv($"seq {first}..{report.LastSeq}") : Inv($"empty (retention deleted through seq {report.AnchorSeq})");
        output.WriteLine(Inv($"Journal {report.Path}: {report.Entries} entries, {range}; hash chain from seq {report.ChainStart}, anchored at seq {report.AnchorSeq}."));
        if (report.Unchained > 0)
        {
            output.WriteLine(Inv($"{report.Unchained} entries from before the hash chain (seq < {report.ChainStart}) are not covered by it."));
        }

        if (report.IsIntact)
        {
            output.WriteLine("INTACT: every entry verifies.");
            return ExitCodes.Ok;
        }

        var total = report.Problems.Count + report.UnlistedProblems;
        output.WriteLine(Inv($"TAMPERED: {total} problem{(total == 1 ? "" : "s")}:"));
        foreach (var problem in report.Problems)
        {
            output.WriteLine($"  - {problem.Message}");
        }

        if (report.UnlistedProblems > 0)
        {
            output.WriteLine(Inv($"  … and {report.UnlistedProblems} more."));
        }

        return ExitCodes.JournalTampered;
    }

    private static int Export(JournalReader reader, long from, TextWriter output)
    {
        // In pages of short read transactions, not one snapshot: the output may be a pipe that
        // stalls, and a read transaction held meanwhile keeps the gateway's WAL from being reset
        // (JournalReader.ExportFrom has what that gives up).
        using var line = new JsonLine();
        foreach (var stored in reader.ExportFrom(from))
        {
            output.WriteLine(line.Format(stored));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> TailAsync(JournalReader reader, int count, bool follow, TextWriter output, CancellationToken ct)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "-n must be at least 1.");
        }

        using var line = new JsonLine();
        long last = 0;
        foreach (var stored in reader.ReadLast(count))
        {
            await output.WriteLineAsync(line.Format(stored)).ConfigureAwait(false);
            last = stored.Row.Seq;
        }

        while (follow)
        {
            try
            {
                await Task.Delay(FollowInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            // In pages of short reads, as export: a read held open while the output stalls (a pager
            // nobody scrolls) kept the gateway's checkpoints from resetting its WAL, which grew.
            foreach (var stored in reader.ExportFrom(last + 1))
            {
                await output.WriteLineAsync(line.Format(stored)).ConfigureAwait(false);
                last = stored.Row.Seq;
            }

            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static int WithReader(ParseResult result, Func<JournalReader, int> work) =>
        WithReaderAsync(result, reader => Task.FromResult(work(reader))).GetAwaiter().GetResult();

    // verify --schema-only: no JournalReader (it refuses a schema from before the hash chain, which
    // the gateway upgrades) and no refusal by owner, as JournalFileSchema creates nothing.
    private static async Task<int> SchemaOnlyAsync(ParseResult result)
    {
        var (full, failed) = await DatabasePathAsync(result).ConfigureAwait(false);
        if (full is null)
        {
            return failed;
        }

        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        JournalFileSchema schema;
        try
        {
            schema = JournalFileSchema.Read(full);
        }
        catch (JournalException ex)
        {
            await error.WriteLineAsync($"edgeguard journal: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var supported = JournalFileSchema.SupportedVersion;
        if (!schema.IsEdgeGuard)
        {
            await error.WriteLineAsync($"edgeguard journal: {full} is not an EdgeGuard journal (wrong application_id).").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        if (schema.IsNewer)
        {
            // Exit 2, as the gateway of this build exits at start on this file: nothing but
            // another file or another release fixes it.
            await error.WriteLineAsync(Inv($"edgeguard journal: {full} has schema version {schema.Version}, newer than the {supported} this build understands: a newer release migrated it, and this release's gateway would refuse it at start.")).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }

        var how = schema.Version == supported ? "this build's" : "older; the gateway upgrades it at its next start";
        await output.WriteLineAsync(Inv($"Journal {full}: schema version {schema.Version} ({how}); this build understands up to {supported}.")).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    // The journal's full path from --db or --config's stateDirectory, or (null) the exit code of why not.
    private static async Task<(string? Path, int ExitCode)> DatabasePathAsync(ParseResult result)
    {
        var error = result.InvocationConfiguration.Error;
        var db = result.GetValue(DbOption);
        var config = result.GetValue(EdgeGuardCli.ConfigOption);
        if (db is not null && config is not null)
        {
            await error.WriteLineAsync("edgeguard journal: pass --config or --db, not both.").ConfigureAwait(false);
            return (null, ExitCodes.InvalidConfig);
        }

        if (db is null)
        {
            // Only stateDirectory matters here; validate as for --simulate so a tool run on an
            // office laptop does not need the gateway's GPIO driver to be configured. The config is
            // the real site's: its lines are not checked against the simulated chip (ConfigUse.Paths).
            if (RunVerbHandler.Load(config, simulate: true, error, use: ConfigUse.Paths) is not { } loaded)
            {
                return (null, ExitCodes.InvalidConfig);
            }

            db = Path.Combine(loaded.Config.StateDirectory, JournalDatabase.FileName);
        }

        var full = Path.GetFullPath(db);
        // SQLite opens the path itself, blocking: a named pipe given as --db (a wrong path) made
        // verify, export and tail wait for ever. Looked at first without blocking (CheckedFile).
        if (OperatingSystem.IsLinux() && CheckedFile.KindProblem(full, "journal database") is { } notAFile)
        {
            await error.WriteLineAsync($"edgeguard journal: {notAFile}").ConfigureAwait(false);
            return (null, ExitCodes.Failure);
        }

        return (full, ExitCodes.Ok);
    }

    private static async Task<int> WithReaderAsync(ParseResult result, Func<JournalReader, Task<int>> work)
    {
        var error = result.InvocationConfiguration.Error;
        var (full, failed) = await DatabasePathAsync(result).ConfigureAwait(false);
        if (full is null)
        {
            return failed;
        }

        if (GatewayFilesUser.LeftoverWarning(Path.GetDirectoryName(full)!, full) is { } leftovers)
        {
            await error.WriteLineAsync($"edgeguard journal: warning: {leftovers}").ConfigureAwait(false);
        }

        // Before the open: a read-only open still creates the -wal and -shm a clean stop deleted.
        if (GatewayFilesUser.JournalRefusal([.. result.Tokens.Select(t => t.Value)], full) is { } refusal)
        {
            await error.WriteLineAsync($"edgeguard journal: {refusal}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        try
        {
            using var reader = JournalReader.Open(full);
            return await work(reader).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JournalException or ArgumentOutOfRangeException or IOException)
        {
            await error.WriteLineAsync($"edgeguard journal: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One entry as a JSON object: the MQTT event payload's field names (<c>id, seq, ts, type,
    /// point?, zone?, severity, drill, data</c>) plus <c>mono</c>, <c>prevHash</c>, <c>hash</c>
    /// (lowercase hex, null before the chain). Values are as stored (<c>ts</c> with all seven
    /// fractional digits), so the chain can be re-checked from an export alone.
    /// </summary>
    private sealed class JsonLine : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(512);
        private readonly Utf8JsonWriter _writer;

        public JsonLine() => _writer = new Utf8JsonWriter(_buffer);

        public void Dispose() => _writer.Dispose();

        public string Format(StoredEvent stored)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            var row = stored.Row;
            _writer.WriteStartObject();
            _writer.WriteString("id", row.Id);
            _writer.WriteNumber("seq", row.Seq);
            _writer.WriteString("ts", row.Timestamp);
            _writer.WriteNumber("mono", row.Monotonic);
            _writer.WriteString("type", row.Type);
            if (row.Point is { } point)
            {
                _writer.WriteString("point", point);
            }

            if (row.Zone is { } zone)
            {
                _writer.WriteString("zone", zone);
            }

            _writer.WriteString("severity", row.Severity);
            _writer.WriteBoolean("drill", row.Drill != 0);
            _writer.WritePropertyName("data");
            if (IsJson(row.Data))
            {
                if (row.Data.AsSpan().IndexOfAny('\r', '\n') < 0)
                {
                    _writer.WriteRawValue(row.Data, skipInputValidation: true);
                }
                else
                {
                    // JSON with a line break between its tokens (an edited row) would split the
                    // entry's line in two: written again without them.
                    using var document = JsonDocument.Parse(row.Data);
                    document.WriteTo(_writer);
                }
            }
            else
            {
                // An edited row may hold anything; show it as text rather than fail the export.
                _writer.WriteStringValue(row.Data);
            }

            _writer.WriteString("prevHash", JournalChain.Hex(stored.PrevHash));
            _writer.WriteString("hash", JournalChain.Hex(stored.Hash));
            _writer.WriteEndObject();
            _writer.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }

        private static bool IsJson(string text)
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            try
            {
                return reader.Read() && reader.TrySkip() && !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }
}
