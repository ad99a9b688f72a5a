using System.Collections.Concurrent;
using System.Collections.Immutable;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// The gateway's operator keys: those the configuration loaded, and the operators whose key file
/// could not be used when <c>run</c> started (<see cref="CommandOptions.Unavailable"/>). Their
/// commands are refused as <c>key-unavailable</c>, never accepted unverified; each such command,
/// and a timer every <see cref="RecheckInterval"/>, reads the file again, so a technician who puts
/// it back needs no restart, and the office hears of it without waiting for that operator. The
/// timer reads the trusted keys' files too: one deleted or spoilt (a stolen key revoked) makes that
/// operator unavailable, one replaced (a key rotated) is used from then on. One
/// <c>fault.operator-key</c> per operator whenever their key becomes unusable (at start or at a
/// check), one critical log line, the systemd status line (<see cref="Problem"/>);
/// <c>fault.operator-key-restored</c> once the file loads. The controller reads the fault as the
/// key's withdrawal too, and drops that operator's pending all-clear approval; a key rotated in
/// place is no fault, and the controller is told of it directly (<c>rotated</c>) to do the same.
/// </summary>
internal sealed partial class OperatorKeyFiles : IOperatorKeys, IDisposable
{
    /// <summary>
    /// How often the key files are read again without a command: a key put back is told to the
    /// office (and the status line) within this, not at that operator's next command; a key file
    /// removed or replaced stops (or starts) being trusted within this.
    /// </summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(60);

    // The command handler and the recheck timer both read files again; one at a time, so a key is
    // restored (and reported) once, and a shared key is checked against a settled set.
    private readonly Lock _gate = new();
    private readonly ITimer? _recheck;

    // The keys trusted now (loaded at start or restored since); written under _gate, read without
    // it by each command, so a key the timer withdraws is refused from the next command on.
    private readonly ConcurrentDictionary<string, OperatorKey> _trusted;

    // Where each trusted key was read from: the timer reads these again. A key without a file here
    // (none configured) is never withdrawn.
    private readonly ConcurrentDictionary<string, string> _files;

    // Written under _gate, read by the systemd status line.
    private readonly ConcurrentDictionary<string, (UnavailableOperatorKey Operator, string Problem)> _unavailable;
    private readonly Action<IReadOnlyList<DomainEvent>> _report;
    private readonly Action<string> _rotated;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>
    /// Reports and logs each unavailable operator at once: the start begins their episode.
    /// </summary>
    /// <param name="commands">The configured operators.</param>
    /// <param name="report">Where the faults go (the controller's loop: journal, office).</param>
    /// <param name="rotated">
    /// Told the operator whose file now holds a new key (the controller's loop, which drops their
    /// pending all-clear approval: it may have been signed with the key the rotation replaced).
    /// </param>
    /// <param name="time">The gateway's clock.</param>
    /// <param name="logger">Gets one critical line per unavailable operator.</param>
    public OperatorKeyFiles(CommandOptions commands, Action<IReadOnlyList<DomainEvent>> report, Action<string> rotated, TimeProvider time, ILogger<OperatorKeyFiles> logger)
    {
        _trusted = new(commands.Operators.Select(k => KeyValuePair.Create(k.Operator, k)), StringComparer.Ordinal);
        _files = new(commands.KeyFiles.Where(f => _trusted.ContainsKey(f.Key)), StringComparer.Ordinal);
        _unavailable = new(commands.Unavailable.Select(u => KeyValuePair.Create(u.Operator, (u, u.Problem))), StringComparer.Ordinal);
        _report = report;
        _rotated = rotated;
        _time = time;
        _logger = logger;
        foreach (var missing in commands.Unavailable)
        {
            LogUnavailable(missing.Operator, missing.Problem);
        }

        if (commands.Unavailable.Count > 0)
        {
            report([.. commands.Unavailable.Select(u => new OperatorKeyFault(time.GetUtcNow(), u.Operator, u.File, u.Problem))]);
        }

        if (!_files.IsEmpty || !_unavailable.IsEmpty)
        {
            // For the gateway's life: a trusted key's file may go (or change) at any time.
            _recheck = time.CreateTimer(_ => Recheck(), null, RecheckInterval, RecheckInterval);
        }
    }

    /// <summary>
    /// Reads every operator's key file again (the timer's work, every
    /// <see cref="RecheckInterval"/>): a trusted key whose file is gone or unusable is withdrawn
    /// and reported, one whose file holds a new key is replaced by it, and an unavailable one that
    /// loads is restored and reported.
    /// </summary>
    public void Recheck()
    {
        lock (_gate)
        {
            foreach (var @operator in _files.Keys.Order(StringComparer.Ordinal).ToList())
            {
                ReadAgain(@operator);
            }

            foreach (var @operator in _unavailable.Keys.Order(StringComparer.Ordinal).ToList())
            {
                Reload(@operator);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _recheck?.Dispose();

    /// <summary>
    /// What the systemd status line shows while an operator's key is unusable: <c>OFFICE COMMANDS
    /// OF 'jones' REFUSED: file '...' does not exist</c>; null when every key loaded.
    /// </summary>
    public string? Problem
    {
        get
        {
            var problems = _unavailable.Values.OrderBy(u => u.Operator.Operator, StringComparer.Ordinal)
                .Select(u => $"OFFICE COMMANDS OF '{u.Operator.Operator}' REFUSED: {u.Problem}").ToList();
            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
    }

    /// <inheritdoc />
    public OperatorKey? Find(string @operator)
    {
        if (_trusted.TryGetValue(@operator, out var key))
        {
            // Not read per command: the timer reads trusted files, and a flood of commands under a
            // trusted name must not turn into a flood of file reads.
            return key;
        }

        lock (_gate)
        {
            return Reload(@operator);
        }
    }

    /// <inheritdoc />
    // The trusted set alone, without the gate: the controller's loop asks this per command, and the
    // gate can be held by a re-check reading files on a slow card.
    public OperatorKey? Trusted(string @operator) => _trusted.GetValueOrDefault(@operator);

    /// <summary>
    /// Reads a trusted operator's file again (under <see cref="_gate"/>): gone or unusable, the key
    /// is withdrawn; holding a new key of this operator's alone, that key replaces the old one.
    /// </summary>
    private void ReadAgain(string @operator)
    {
        if (!_trusted.TryGetValue(@operator, out var key) || !_files.TryGetValue(@operator, out var file))
        {
            return;
        }

        var problem = OperatorKeyFile.Read(@operator, file, out var publicKey);
        if (problem is null && publicKey.AsSpan().SequenceEqual(key.PublicKey.AsSpan()))
        {
            return;
        }

        // Only a changed key is checked against the others: an unchanged one was this operator's
        // alone already, and must not be withdrawn because someone else's file became its copy.
        if (problem is null && SharedWith(@operator, publicKey) is { } other)
        {
            problem = OperatorKeyFile.SharedKey(file, other);
        }

        if (problem is not null)
        {
            _trusted.TryRemove(@operator, out _);
            _files.TryRemove(@operator, out _);
            var entry = new UnavailableOperatorKey(@operator, key.Role, file, key.Sites, problem) { Key = publicKey };
            _unavailable[@operator] = (entry, problem);
            LogWithdrawn(@operator, problem);
            _report([new OperatorKeyFault(_time.GetUtcNow(), @operator, file, problem)]);
            return;
        }

        // A rotation in place: the old key's signatures are refused from now on, and an all-clear
        // approval it signed is dropped (it is no fault, so the fault path does not do that).
        _trusted[@operator] = key with { PublicKey = publicKey };
        LogChanged(@operator, file);
        _rotated(@operator);
    }

    private OperatorKey? Reload(string @operator)
    {
        if (_trusted.TryGetValue(@operator, out var key))
        {
            // Restored by the timer while this command waited for the gate.
            return key;
        }

        if (!_unavailable.TryGetValue(@operator, out var entry))
        {
            return null;
        }

        // Read again at each of their commands (and by the timer): commands are rare, the file
        // small, and a key put back must work for the very next one. A flood under this name costs no more than one
        // under any unknown name does, since the handler takes one command at a time.
        if (entry.Operator.TryLoad(out var problem) is not { } loaded)
        {
            _unavailable[@operator] = (entry.Operator with { Key = default }, problem!);
            return null;
        }

        // The file loads, but a copy of another operator's key would let that person approve as
        // both in a two-person all-clear: it stays unavailable until the files differ.
        if (SharedWith(@operator, loaded.PublicKey) is { } other)
        {
            _unavailable[@operator] = (entry.Operator with { Key = loaded.PublicKey }, OperatorKeyFile.SharedKey(entry.Operator.File, other));
            return null;
        }

        _trusted[@operator] = loaded;
        _files[@operator] = entry.Operator.File;
        _unavailable.TryRemove(@operator, out _);
        LogRestored(@operator, entry.Operator.File);
        _report([new OperatorKeyRestored(_time.GetUtcNow(), @operator)]);
        return loaded;
    }

    /// <summary>
    /// Another operator with <paramref name="key"/>: loaded, restored, or unavailable with that key
    /// in their file when it was last read; null when the key is this operator's alone.
    /// </summary>
    private string? SharedWith(string @operator, ImmutableArray<byte> key)
    {
        foreach (var other in _trusted.Values)
        {
            if (other.Operator != @operator && other.PublicKey.AsSpan().SequenceEqual(key.AsSpan()))
            {
                return other.Operator;
            }
        }

        foreach (var (other, _) in _unavailable.Values)
        {
            if (other.Operator != @operator && !other.Key.IsDefault && other.Key.AsSpan().SequenceEqual(key.AsSpan()))
            {
                return other.Operator;
            }
        }

        return null;
    }

    /// <inheritdoc />
    // Without the file's path: this goes to command-results, which anyone on the broker can make
    // the gateway answer with an unsigned command. The fault event and the log keep the path.
    public string? Unavailable(string @operator) =>
        _unavailable.TryGetValue(@operator, out var entry) ? OperatorKeyFile.WithoutPath(entry.Problem, entry.Operator.File) : null;

    [LoggerMessage(EventId = 150, Level = LogLevel.Critical, Message = "Office commands of operator '{Operator}' are refused: {Problem}. Put the key file back (see deploy/README.md, operator keys): it is read again at the operator's next command and every minute, no restart needed. The site is protected locally; the other operators' commands work")]
    private partial void LogUnavailable(string @operator, string problem);

    [LoggerMessage(EventId = 152, Level = LogLevel.Critical, Message = "The key of operator '{Operator}' is no longer trusted: {Problem}. Their office commands are refused from now on. If the key was not revoked on purpose, put the file back (see deploy/README.md, operator keys): it is read again every minute, no restart needed")]
    private partial void LogWithdrawn(string @operator, string problem);

    [LoggerMessage(EventId = 153, Level = LogLevel.Warning, Message = "The key file of operator '{Operator}' ('{File}') holds a new key: their commands are verified with it from now on, the old key's refused")]
    private partial void LogChanged(string @operator, string file);

    [LoggerMessage(EventId = 151, Level = LogLevel.Information, Message = "The key of operator '{Operator}' loads again from '{File}'; their commands are verified as before")]
    private partial void LogRestored(string @operator, string file);
}
