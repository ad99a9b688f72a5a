using System.Collections.Concurrent;
using System.Collections.Frozen;
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
/// it back needs no restart, and the office hears of it without waiting for that operator. One
/// <c>fault.operator-key</c> per operator at start, one critical log line, the systemd status line
/// (<see cref="Problem"/>); <c>fault.operator-key-restored</c> once the file loads.
/// </summary>
internal sealed partial class OperatorKeyFiles : IOperatorKeys, IDisposable
{
    /// <summary>
    /// How often the unavailable files are read again without a command of theirs: a key put back
    /// is told to the office (and the status line) within this, not at that operator's next command.
    /// </summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(60);

    private readonly FrozenDictionary<string, OperatorKey> _loaded;

    // The command handler and the recheck timer both read files again; one at a time, so a key is
    // restored (and reported) once, and a shared key is checked against a settled set.
    private readonly Lock _gate = new();
    private readonly ITimer? _recheck;

    // Written under _gate, read by the systemd status line.
    private readonly ConcurrentDictionary<string, (UnavailableOperatorKey Operator, string Problem)> _unavailable;
    private readonly ConcurrentDictionary<string, OperatorKey> _restored = new(StringComparer.Ordinal);
    private readonly Action<IReadOnlyList<DomainEvent>> _report;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>
    /// Reports and logs each unavailable operator at once: the start begins their episode.
    /// </summary>
    /// <param name="commands">The configured operators.</param>
    /// <param name="report">Where the faults go (the controller's loop: journal, office).</param>
    /// <param name="time">The gateway's clock.</param>
    /// <param name="logger">Gets one critical line per unavailable operator.</param>
    public OperatorKeyFiles(CommandOptions commands, Action<IReadOnlyList<DomainEvent>> report, TimeProvider time, ILogger<OperatorKeyFiles> logger)
    {
        _loaded = commands.Operators.ToFrozenDictionary(k => k.Operator, StringComparer.Ordinal);
        _unavailable = new(commands.Unavailable.Select(u => KeyValuePair.Create(u.Operator, (u, u.Problem))), StringComparer.Ordinal);
        _report = report;
        _time = time;
        _logger = logger;
        if (commands.Unavailable.Count == 0)
        {
            return;
        }

        foreach (var missing in commands.Unavailable)
        {
            LogUnavailable(missing.Operator, missing.Problem);
        }

        report([.. commands.Unavailable.Select(u => new OperatorKeyFault(time.GetUtcNow(), u.Operator, u.File, u.Problem))]);
        _recheck = time.CreateTimer(_ => Recheck(), null, RecheckInterval, RecheckInterval);
    }

    /// <summary>
    /// Reads every unavailable operator's file again (the timer's work, every
    /// <see cref="RecheckInterval"/>): one that loads is restored and reported at once.
    /// </summary>
    public void Recheck()
    {
        foreach (var @operator in _unavailable.Keys.Order(StringComparer.Ordinal).ToList())
        {
            Find(@operator);
        }

        if (_unavailable.IsEmpty)
        {
            // Nothing left to look for: the timer has no more work for this gateway's life.
            _recheck?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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
        if (_loaded.TryGetValue(@operator, out var key) || _restored.TryGetValue(@operator, out key))
        {
            return key;
        }

        lock (_gate)
        {
            return Reload(@operator);
        }
    }

    private OperatorKey? Reload(string @operator)
    {
        if (_restored.TryGetValue(@operator, out var key))
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

        _restored[@operator] = loaded;
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
        foreach (var other in _loaded.Values.Concat(_restored.Values))
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

    [LoggerMessage(EventId = 151, Level = LogLevel.Information, Message = "The key of operator '{Operator}' loads again from '{File}'; their commands are verified as before")]
    private partial void LogRestored(string @operator, string file);
}
