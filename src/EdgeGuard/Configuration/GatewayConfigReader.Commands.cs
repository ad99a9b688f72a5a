using System.Collections.Immutable;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Configuration;

/// <summary>Who may command this gateway from the office, and how strictly commands are timed.</summary>
/// <param name="Operators">Operator public keys with their roles; none means no command is ever accepted.</param>
/// <param name="ClockSkew">How far the office's clock may be from the gateway's (<see cref="CommandVerifierOptions.ClockSkew"/>).</param>
/// <param name="MaxLifetime">Longest validity of a signed command (<see cref="CommandVerifierOptions.MaxLifetime"/>).</param>
public sealed record CommandOptions(IReadOnlyList<OperatorKey> Operators, TimeSpan ClockSkew, TimeSpan MaxLifetime)
{
    /// <summary>
    /// Operators whose key file could not be used when <c>run</c> read the configuration: not in
    /// <see cref="Operators"/>, their commands refused until the file loads (always empty after
    /// <c>validate</c>, which refuses such a file).
    /// </summary>
    public IReadOnlyList<UnavailableOperatorKey> Unavailable { get; init; } = [];

    /// <summary>
    /// The <c>publicKeyFile</c> each of <see cref="Operators"/> was read from, by name: the running
    /// gateway reads them again every minute, so a key file deleted (a key revoked) or replaced (a
    /// key rotated) takes effect without a restart. An operator missing here is never read again.
    /// </summary>
    public IReadOnlyDictionary<string, string> KeyFiles { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Two supervisors' remote all-clears must both fall within this (<c>commands.allClearWindowSeconds</c>).</summary>
    public TimeSpan AllClearWindow { get; init; } = TwoPersonApproval.DefaultWindow;

    /// <summary>No operators and the default limits: every command is refused as from an unknown operator.</summary>
    public static CommandOptions None { get; } = new(
        [], TimeSpan.FromSeconds(GatewayConfigReader.DefaultClockSkewSeconds), TimeSpan.FromSeconds(GatewayConfigReader.DefaultMaxLifetimeSeconds));

    /// <summary>The verifier's options for this site and gateway.</summary>
    public CommandVerifierOptions VerifierOptions(string site, string gateway) =>
        new(site, gateway) { ClockSkew = ClockSkew, MaxLifetime = MaxLifetime };
}

// Office commands: operator keys (PEM files written by `edgeguard keys new`), roles and timing.
// Key files are read here, so a missing or wrong key is named with its path instead of surfacing as
// "unknown-operator" the first time the office needs the gateway: validate refuses it, run starts
// without that operator (a warning, commands refused as key-unavailable until the file is back).
public static partial class GatewayConfigReader
{
    /// <summary>Clock-skew allowance when <c>commands.clockSkewSeconds</c> is not set.</summary>
    public const int DefaultClockSkewSeconds = 30;

    /// <summary>Longest command validity when <c>commands.maxLifetimeSeconds</c> is not set (15 min).</summary>
    public const int DefaultMaxLifetimeSeconds = 900;

    private static readonly string[] CommandsKeys = ["operators", "clockSkewSeconds", "maxLifetimeSeconds", "allClearWindowSeconds"];
    private static readonly string[] OperatorItemKeys = ["name", "role", "publicKeyFile", "sites"];

    private static readonly (string, OperatorRole)[] Roles =
        [("guard", OperatorRole.Guard), ("supervisor", OperatorRole.Supervisor), ("technician", OperatorRole.Technician),
         ("responder", OperatorRole.Responder)];

    private sealed partial class Run
    {
        /// <summary>The optional <c>commands</c> section; absent means no operator may command the gateway.</summary>
        private CommandOptions? Commands(ConfigNode node)
        {
            if (node.IsPresent && !_w.Object(node, null, CommandsKeys))
            {
                return null;
            }

            var errors = _w.ErrorCount;
            var (operators, files, unavailable) = Operators(node.Child("operators"));
            // 0 is allowed (a gateway and office both on the same NTP source); beyond 5 minutes the
            // window a stale command works in grows more than any sane clock error needs.
            var skew = _w.Int(node.Child("clockSkewSeconds"), null, required: false, 0, (int)CommandVerifierOptions.MaxClockSkew.TotalSeconds, DefaultClockSkewSeconds);
            // Ids are remembered this long (plus skew), so it bounds the replay store too.
            var lifetime = _w.Int(node.Child("maxLifetimeSeconds"), null, required: false, 5, 3_600, DefaultMaxLifetimeSeconds);
            // Long enough for a second supervisor to be reached and sign (30 s at least), short enough
            // that two approvals are one decision, not two unrelated ones (15 min at most).
            var window = _w.Int(node.Child("allClearWindowSeconds"), null, required: false, 30, 900, (int)TwoPersonApproval.DefaultWindow.TotalSeconds);
            return _w.ErrorCount == errors && operators is not null && skew is not null && lifetime is not null && window is not null
                ? new CommandOptions(operators, TimeSpan.FromSeconds(skew.Value), TimeSpan.FromSeconds(lifetime.Value)) { AllClearWindow = TimeSpan.FromSeconds(window.Value), Unavailable = unavailable, KeyFiles = files }
                : null;
        }

        private (List<OperatorKey>? Keys, Dictionary<string, string> Files, List<UnavailableOperatorKey> Unavailable) Operators(ConfigNode node)
        {
            var keys = new List<OperatorKey>();
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            var loaded = new List<(OperatorKey Key, string Path, ConfigNode Node, string? Subject)>();
            var unavailable = new List<UnavailableOperatorKey>();
            var items = _w.List(node, null);
            if (items is null)
            {
                return (null, files, unavailable);
            }

            // Ordinal, as the key ring looks names up: "Jones" and "jones" are different operators.
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (!_w.Object(item, null, OperatorItemKeys))
                {
                    continue;
                }

                var nameNode = item.Child("name");
                var name = _w.Scalar(nameNode, null, required: true, " (the name commands carry in 'operator')");
                var subject = name is null ? null : $"operator '{name}'";
                if (name is not null && (name.Length > CommandEnvelope.MaxOperatorLength || !CommandEnvelope.IsReadableName(name) || name.Trim() != name))
                {
                    _w.Error(nameNode, subject, $"an operator name is 1-{CommandEnvelope.MaxOperatorLength} characters without control characters, invisible format characters (zero-width, bidi) or surrounding spaces");
                    name = null;
                }
                else if (name is not null && seen.TryGetValue(name, out var firstPath))
                {
                    _w.Error(nameNode, subject, $"operator '{name}' is already defined at {firstPath}; one key per operator");
                    name = null;
                }
                else if (name is not null)
                {
                    seen[name] = nameNode.Path;
                }

                var role = _w.Enum(item.Child("role"), subject, required: true, Roles);
                var keyNode = item.Child("publicKeyFile");
                var path = FilePath(keyNode, subject, required: true, " (the operator's NAME.pub.pem from 'edgeguard keys new')");
                var publicKey = ImmutableArray<byte>.Empty;
                var problem = path is null ? null : OperatorKeyFile.Read(name ?? "?", path, out publicKey);
                if (problem is not null)
                {
                    KeyFileProblem(keyNode, subject, problem);
                }

                var sites = new List<string>();
                var sitesOk = true;
                var siteItems = _w.List(item.Child("sites"), subject);
                foreach (var site in siteItems ?? [])
                {
                    sitesOk &= Id(site, subject, required: true) is { } s && AddTo(sites, s);
                }

                if (name is null || role is null || path is null || siteItems is null || !sitesOk)
                {
                    continue;
                }

                if (problem is null)
                {
                    loaded.Add((new OperatorKey(name, role.Value, publicKey, [.. sites]), path, keyNode, subject));
                }
                else if (!loadFiles)
                {
                    unavailable.Add(new UnavailableOperatorKey(name, role.Value, path, [.. sites], problem));
                }
            }

            SharedKeys(loaded, keys, unavailable);
            foreach (var (key, path, _, _) in loaded.Where(l => keys.Contains(l.Key)))
            {
                files[key.Operator] = path;
            }

            return (keys, files, unavailable);
        }

        /// <summary>
        /// Keeps the loaded keys that belong to one operator only. Two-person approvals tell the
        /// approvers apart by name, so a key shared by two names (a copied NAME.pub.pem) would let
        /// one person approve as both: validate refuses it at each of them, naming the other; run
        /// starts with every operator sharing it unavailable, never trusting either name.
        /// </summary>
        private void SharedKeys(
            List<(OperatorKey Key, string Path, ConfigNode Node, string? Subject)> loaded,
            List<OperatorKey> keys,
            List<UnavailableOperatorKey> unavailable)
        {
            foreach (var (key, path, node, subject) in loaded)
            {
                var other = loaded.FirstOrDefault(o =>
                    o.Key.Operator != key.Operator && o.Key.PublicKey.AsSpan().SequenceEqual(key.PublicKey.AsSpan()));
                if (other.Key is null)
                {
                    keys.Add(key);
                    continue;
                }

                var problem = OperatorKeyFile.SharedKey(path, other.Key.Operator);
                KeyFileProblem(node, subject, problem);
                if (!loadFiles)
                {
                    unavailable.Add(new UnavailableOperatorKey(key.Operator, key.Role, path, key.Sites, problem) { Key = key.PublicKey });
                }
            }
        }

        /// <summary>
        /// A public key file that cannot be used. When validating (provisioning) it is an error,
        /// with every other problem. At <c>run</c> it is a warning: a key file lost or spoilt
        /// after provisioning costs that operator's commands (refused, <c>key-unavailable</c>,
        /// until it is back), never the site's protection; systemd would otherwise restart the
        /// gateway into the same refusal forever, leaving the doors and panic buttons without
        /// their controller.
        /// </summary>
        private void KeyFileProblem(ConfigNode node, string? subject, string problem) =>
            RefusedByValidate(node, subject, problem,
                $"{subject ?? "operator"}: {problem}: the gateway runs, but refuses this operator's commands until the file is back (read again at the operator's next command and every minute, no restart needed)");

        private static bool AddTo(List<string> list, string value)
        {
            list.Add(value);
            return true;
        }
    }
}
