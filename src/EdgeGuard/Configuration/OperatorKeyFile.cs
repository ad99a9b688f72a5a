using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Configuration;

/// <summary>
/// Reads an operator's public key file (<c>NAME.pub.pem</c> from <c>edgeguard keys new</c>). The
/// one rule for what such a file must be, used when the configuration is read and again, by the
/// running gateway, for a key that was missing then (<see cref="UnavailableOperatorKey.TryLoad"/>).
/// </summary>
public static partial class OperatorKeyFile
{
    /// <summary>
    /// The largest key file read: a P-256 public key in PEM is under 200 bytes, so 16 KiB leaves
    /// room for comments and still bounds what a wrong file can cost.
    /// </summary>
    public const int MaxBytes = 16 * 1024;

    /// <summary>
    /// Reads <paramref name="operator"/>'s P-256 public key at <paramref name="path"/>. Returns
    /// null with the key's SubjectPublicKeyInfo, or a sentence saying what is wrong with the file
    /// (missing, a directory, unreadable, a pipe or device, too large, writable or owned by someone
    /// else, in a directory others may write, a private key, not a P-256 public key) and a default
    /// key.
    /// </summary>
    public static string? Read(string @operator, string path, out ImmutableArray<byte> publicKey)
    {
        publicKey = default;
        if (!OperatingSystem.IsLinux())
        {
            // The checks below are Linux calls; a gateway is a Linux machine.
            return $"file '{path}' cannot be checked: operator key files are read on Linux only";
        }

        string text;
        try
        {
            if (ReadChecked(path, out text) is { } problem)
            {
                return problem;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"file '{path}' cannot be read: {ex.Message}";
        }
        catch (TypeLoadException ex)
        {
            // statx needs glibc 2.28 (Debian 10); on an older C library the checks cannot run, and
            // a key that cannot be checked is not used. Thrown from the minute's re-read, it would
            // end the process instead.
            return $"file '{path}' cannot be checked: this system's C library lacks a call the checks need (glibc 2.28 or later): {ex.Message}";
        }

        // ImportFromPem would take a private key too; a private key has no business on a
        // gateway (whoever reads the disk could sign commands), so it is refused outright.
        if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            return $"file '{path}' holds a private key; give the gateway only the public key (NAME.pub.pem) and keep the private one at the office";
        }

        try
        {
            // The role does not matter here: only the key is kept.
            publicKey = OperatorKey.FromPem(@operator, OperatorRole.Guard, text).PublicKey;
            return null;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return $"file '{path}' is not an ECDSA P-256 public key in PEM ('edgeguard keys new' writes one): {ex.Message}";
        }
    }

    /// <summary>
    /// <paramref name="problem"/> (from <see cref="Read"/>) with <paramref name="path"/> and the
    /// key directory left out, for answers anyone on the broker may read: the file's place on the
    /// gateway is for the technician (log, <c>fault.operator-key</c>), not for whoever sends an
    /// unsigned command.
    /// </summary>
    public static string WithoutPath(string problem, string path) =>
        QuotedDirectory().Replace(
            problem.Replace($"file '{path}'", "the key file", StringComparison.Ordinal)
                .Replace($"'{path}'", "the key file", StringComparison.Ordinal)
                .Replace(path, "the key file", StringComparison.Ordinal),
            "a directory");

    [GeneratedRegex("directory '[^']*'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedDirectory();

    /// <summary>
    /// What is wrong with <paramref name="path"/> when it holds the key <paramref name="other"/>
    /// uses too: one key per operator. The other's file is not named, so that
    /// <see cref="WithoutPath"/> leaves no path in it.
    /// </summary>
    public static string SharedKey(string path, string other) =>
        $"file '{path}' holds the same public key as operator '{other}'; one key per operator: "
        + "two-person approvals tell approvers apart by name, so a shared key would let one person approve as both";
}

/// <summary>
/// An operator whose key file could not be used when <c>run</c> read the configuration (missing,
/// unreadable, not a public P-256 key). The gateway starts without it: its commands are refused
/// (<c>key-unavailable</c>), never accepted unverified, and the file is read again when one of its
/// commands arrives and every minute, so a technician who puts it back needs no restart.
/// </summary>
/// <param name="Operator">The operator's name, as commands carry it.</param>
/// <param name="Role">The configured role, which the key gets once it loads.</param>
/// <param name="File">The configured <c>publicKeyFile</c>.</param>
/// <param name="Sites">The configured sites; empty means every site.</param>
/// <param name="Problem">What was wrong with the file when the configuration was read.</param>
public sealed record UnavailableOperatorKey(string Operator, OperatorRole Role, string File, ImmutableArray<string> Sites, string Problem)
{
    /// <summary>
    /// The key the file held when it loaded but another operator's key is the same (see
    /// <see cref="OperatorKeyFile.SharedKey"/>); default when the file did not load at all.
    /// </summary>
    public ImmutableArray<byte> Key { get; init; }

    /// <summary>
    /// Reads <see cref="File"/> again: the key, or null and what is wrong with the file
    /// now.
    /// </summary>
    public OperatorKey? TryLoad(out string? problem)
    {
        problem = OperatorKeyFile.Read(Operator, File, out var publicKey);
        return problem is null ? new OperatorKey(Operator, Role, publicKey, Sites) : null;
    }
}
