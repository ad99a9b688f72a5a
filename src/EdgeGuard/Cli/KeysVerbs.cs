using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Cli;

/// <summary>
/// Office tooling: <c>edgeguard keys new</c> makes an operator's key pair, <c>edgeguard command
/// sign</c> prints a signed command (sending it over MQTT comes with the command topic).
/// </summary>
internal static partial class KeysVerbs
{
    public static Command KeysVerb()
    {
        var op = new Option<string>("--operator") { Description = "Operator name, as commands will carry it (e.g. officer.jones).", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Directory for NAME.key.pem (private, mode 0600) and NAME.pub.pem.", Required = true };
        var create = new Command("new", "Create an operator's ECDSA P-256 key pair.") { op, outDir };
        create.SetAction(result => NewKey(result.GetValue(op)!, result.GetValue(outDir)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return new Command("keys", "Operator keys for signed commands.") { create };
    }

    public static Command CommandVerb()
    {
        var type = new Argument<string>("type") { Description = $"Command type: {string.Join(", ", CommandTypes.Table.Select(r => r.Wire))}." };
        var key = new Option<FileInfo>("--key") { Description = "The operator's private key (PEM, from `edgeguard keys new`).", Required = true };
        var op = new Option<string>("--operator") { Description = "Operator name the gateway knows the key under.", Required = true };
        var site = new Option<string>("--site") { Description = "Target site id (signed: the command is valid for this site only).", Required = true };
        var gateway = new Option<string>("--gateway") { Description = "Target gateway id (signed: the command is valid for this gateway only).", Required = true };
        var args = new Option<string[]>("--arg") { Description = "Argument as name=value, repeatable (e.g. --arg level=3).", AllowMultipleArgumentsPerToken = false };
        var ttl = new Option<string>("--ttl") { Description = "How long the command stays valid: 60s, 2m (default 60s).", DefaultValueFactory = _ => "60s" };
        var sign = new Command("sign", "Print a signed command as JSON (one line).") { type, key, op, site, gateway, args, ttl };
        sign.SetAction(result => Sign(
            result.GetValue(type)!, result.GetValue(key)!, result.GetValue(op)!, result.GetValue(site)!, result.GetValue(gateway)!,
            result.GetValue(args) ?? [], result.GetValue(ttl)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return new Command("command", "Signed commands to a gateway.") { sign, CommandSendVerb.Create(key, op, site, gateway, args, ttl, type) };
    }

    // A P-256 private key in PEM is about 250 bytes: 64 KiB leaves room for comments and still
    // bounds what a wrong path (a disk image, /dev/zero behind a link) can cost.
    private const int PrivateKeyMaxBytes = 64 * 1024;

    private const string PrivateKeyKind = "private key file";

    // The name becomes a file name: no path separators, no leading dot.
    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex OperatorName();

    private static int NewKey(string name, DirectoryInfo dir, TextWriter output, TextWriter error)
    {
        if (!OperatorName().IsMatch(name))
        {
            error.WriteLine($"operator name '{name}' must be 1-64 of A-Z a-z 0-9 . _ - and not start with a dot");
            return ExitCodes.Failure;
        }

        var privatePath = Path.Combine(dir.FullName, $"{name}.key.pem");
        var publicPath = Path.Combine(dir.FullName, $"{name}.pub.pem");
        // Both before either is written: a new private key beside an older public key (its private one moved
        // to the operator's machine) would fail only at the public write, and handing out that older public
        // key would get every command signed with the new one refused as bad-signature.
        if (new[] { privatePath, publicPath }.FirstOrDefault(Path.Exists) is { } existing)
        {
            error.WriteLine($"{existing} already exists: no key written. Move it away or choose another operator name; "
                + "a new pair never goes beside an older key, whose other half would not match it");
            return ExitCodes.Failure;
        }

        try
        {
            Directory.CreateDirectory(dir.FullName);
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            WritePair(privatePath, ecdsa.ExportPkcs8PrivateKeyPem(), publicPath, ecdsa.ExportSubjectPublicKeyInfoPem());
        }
        catch (IOException ex)
        {
            error.WriteLine($"cannot write the key pair: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (UnauthorizedAccessException ex)
        {
            error.WriteLine($"cannot write the key pair: {ex.Message}");
            return ExitCodes.Failure;
        }

        output.WriteLine($"private key: {privatePath} (mode 0600; keep it on the operator's machine only)");
        output.WriteLine($"public key:  {publicPath} (give it to the gateway's configuration with the operator's role)");
        return ExitCodes.Ok;
    }

    // Both files or neither. The public key could fail after the private one was written (a full
    // disk, the directory gone, a file put there meanwhile): a lone private key was left, whose
    // public half no gateway can have, and `keys new` again refused to write beside it. What this
    // call created is removed on a failure, never a file it did not create (CreateNew refused it).
    internal static void WritePair(string privatePath, string privatePem, string publicPath, string publicPem)
    {
        var created = new List<string>(2);
        try
        {
            WriteNew(privatePath, privatePem, secret: true, created);
            WriteNew(publicPath, publicPem, secret: false, created);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var left = new List<string>();
            foreach (var path in created)
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception removal) when (removal is IOException or UnauthorizedAccessException)
                {
                    left.Add(path);
                }
            }

            throw new IOException(
                left.Count == 0
                    ? $"{ex.Message} (no key file was left behind)"
                    : $"{ex.Message}; {string.Join(" and ", left)} could not be removed: delete it, it has no usable other half",
                ex);
        }
    }

    private static void WriteNew(string path, string pem, bool secret, List<string> created)
    {
        // CreateNew: never overwrite an existing key. The mode is set at creation, so the private
        // key is never readable by others, not even for an instant; SetUnixFileMode repeats it
        // in case the file system ignored the creation mode.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        var mode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(path, options))
        {
            created.Add(path);
            stream.Write(Encoding.ASCII.GetBytes(pem + "\n"));
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static int Sign(string typeText, FileInfo keyFile, string name, string site, string gateway, string[] args, string ttlText, TextWriter output, TextWriter error)
    {
        if (SignedPayload(typeText, keyFile, name, site, gateway, args, ttlText, error, out _) is not { } payload)
        {
            return ExitCodes.Failure;
        }

        output.WriteLine(Encoding.UTF8.GetString(payload));
        return ExitCodes.Ok;
    }

    /// <summary>The signed command's payload (checked with the gateway's own parser), or null after writing why to <paramref name="error"/>.</summary>
    internal static byte[]? SignedPayload(string typeText, FileInfo keyFile, string name, string site, string gateway, string[] args, string ttlText, TextWriter error, out TimeSpan lifetime)
    {
        lifetime = TimeSpan.Zero;
        if (CommandTypes.FromWire(typeText) is not { } type)
        {
            error.WriteLine($"unknown command type '{typeText}'; known: {string.Join(", ", CommandTypes.Table.Select(r => r.Wire))}");
            return null;
        }

        if (!TryParseTtl(ttlText, out var ttl))
        {
            error.WriteLine($"--ttl '{ttlText}' must be 1s to 3600s, e.g. 60s or 2m");
            return null;
        }

        if (ParseArgs(type, args, out var problem) is not { } arguments)
        {
            error.WriteLine(problem);
            return null;
        }

        using var key = ECDsa.Create();
        byte[] pem = [];
        try
        {
            // Read as the gateway reads its files (BoundedFile): a pipe at --key (a password
            // manager's FIFO, a wrong path) waited for ever in open(2), /dev/zero filled the memory.
            // As ssh refuses one: a signing key group or others can read is anyone's on that machine.
            // Judged on the opened file, as the gateway judges its key files.
            string? exposed = null;
            if (BoundedFile.TryRead(keyFile.FullName, PrivateKeyKind, PrivateKeyMaxBytes, out pem, opened =>
                    exposed = OperatingSystem.IsLinux() && (opened.Status.Mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0
                        ? $"the private key {keyFile.FullName} can be read by group or others: chmod 600 it (keys new writes it so), and consider it exposed"
                        : null) is { } unreadable)
            {
                error.WriteLine(exposed ?? $"cannot read the private key {keyFile.FullName}: {unreadable}");
                return null;
            }

            key.ImportFromPem(Encoding.UTF8.GetString(pem));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            error.WriteLine($"cannot read the private key {keyFile.FullName}: {ex.Message}");
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pem);
        }

        var unsigned = CommandSigner.Create(type, site, gateway, name, DateTimeOffset.UtcNow, ttl, arguments);
        // Round-trip through the gateway's own parser so the tool never prints a command the
        // gateway would refuse as malformed (bad site id, operator name, argument).
        byte[] payload;
        try
        {
            payload = CommandSigner.Sign(unsigned, key).ToPayload();
        }
        catch (CryptographicException ex)
        {
            error.WriteLine($"cannot sign with {keyFile.FullName}: {ex.Message}");
            return null;
        }

        if (CommandEnvelope.TryParse(payload, out var invalid, out _, out _) is null)
        {
            error.WriteLine($"the command would be refused: {invalid}");
            return null;
        }

        lifetime = ttl;
        return payload;
    }

    /// <summary>Builds args from <c>name=value</c> pairs, typed by <see cref="CommandTypes.Table"/> (an integer argument becomes a JSON integer).</summary>
    internal static JsonObjectItem? ParseArgs(CommandType type, IEnumerable<string> pairs, out string? problem)
    {
        var members = ImmutableSortedDictionary.CreateBuilder<string, JsonItem>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problem = $"--arg '{pair}' must be name=value";
                return null;
            }

            var (name, value) = (pair[..eq], pair[(eq + 1)..]);
            if (members.TryGetValue(name, out var earlier))
            {
                // Kept the last: a bypass of point=door-a and point=fence-c took fence-c out of
                // service without a word.
                problem = $"--arg {name} is given twice ({Shown(earlier)} and '{value}'): give it once";
                return null;
            }

            var spec = CommandTypes.Arguments(type).FirstOrDefault(s => s.Name == name);
            if (spec?.Kind == ArgumentKind.Integer)
            {
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    problem = $"--arg {name} must be an integer";
                    return null;
                }

                members[name] = new JsonIntegerItem(number);
            }
            else
            {
                members[name] = new JsonStringItem(value);
            }
        }

        var args = new JsonObjectItem(members.ToImmutable());
        problem = CommandTypes.CheckArguments(type, args);
        return problem is null ? args : null;
    }

    private static string Shown(JsonItem item) => item switch
    {
        JsonStringItem { Value: var text } => $"'{text}'",
        JsonIntegerItem { Value: var number } => number.ToString(CultureInfo.InvariantCulture),
        _ => item.ToString() ?? "",
    };

    private static bool TryParseTtl(string text, out TimeSpan ttl)
    {
        var (number, unit) = text.EndsWith('m') ? (text[..^1], 60) : text.EndsWith('s') ? (text[..^1], 1) : (text, 1);
        var ok = int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count);
        ttl = TimeSpan.FromSeconds((double)count * unit);
        return ok && ttl >= TimeSpan.FromSeconds(1) && ttl <= TimeSpan.FromHours(1);
    }
}
