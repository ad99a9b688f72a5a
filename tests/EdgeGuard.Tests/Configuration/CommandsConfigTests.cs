using System.Runtime.Versioning;
using System.Security.Cryptography;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Tests.Configuration;

public sealed class CommandsConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeguard-commands-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteKey(string name, ECCurve? curve = null)
    {
        using var key = ECDsa.Create(curve ?? ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_dir, $"{name}.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        if (!OperatingSystem.IsWindows())
        {
            // 0644 as provisioning installs it, set rather than left to the umask.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return path;
    }

    [Fact]
    public void Without_a_commands_section_no_operator_may_command()
    {
        var result = TestConfigs.Read(_ => { });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Config!.Commands.Operators);
        Assert.Equal(TimeSpan.FromSeconds(30), result.Config.Commands.ClockSkew);
        Assert.Equal(TimeSpan.FromMinutes(15), result.Config.Commands.MaxLifetime);
        Assert.Equal(TimeSpan.FromSeconds(120), result.Config.Site.AllClearWindow);
    }

    [Fact]
    public void Operators_roles_sites_and_timing_are_read()
    {
        var jones = WriteKey("sup.jones");
        var smith = WriteKey("guard.smith");
        var liaison = WriteKey("police.liaison");
        var result = TestConfigs.Read(k =>
        {
            k.Set("commands:operators:0:name", "sup.jones");
            k.Set("commands:operators:0:role", "Supervisor");
            k.Set("commands:operators:0:publicKeyFile", jones);
            k.Set("commands:operators:1:name", "guard.smith");
            k.Set("commands:operators:1:role", "guard");
            k.Set("commands:operators:1:publicKeyFile", smith);
            k.Set("commands:operators:1:sites:0", "site-a");
            k.Set("commands:operators:2:name", "police.liaison");
            k.Set("commands:operators:2:role", "responder");
            k.Set("commands:operators:2:publicKeyFile", liaison);
            k.Set("commands:clockSkewSeconds", "10");
            k.Set("commands:maxLifetimeSeconds", "120");
            k.Set("commands:allClearWindowSeconds", "300");
        });

        Assert.True(result.IsValid, result.ToReport());
        var commands = result.Config!.Commands;
        Assert.Equal(["sup.jones", "guard.smith", "police.liaison"], commands.Operators.Select(o => o.Operator));
        Assert.Equal([OperatorRole.Supervisor, OperatorRole.Guard, OperatorRole.Responder], commands.Operators.Select(o => o.Role));
        Assert.Equal(["site-a"], commands.Operators[1].Sites.ToArray());
        Assert.True(commands.Operators[0].Sites.IsEmpty);
        var options = commands.VerifierOptions("site-a", "gw-1");
        Assert.Equal(TimeSpan.FromSeconds(10), options.ClockSkew);
        Assert.Equal(TimeSpan.FromMinutes(2), options.MaxLifetime);
        Assert.Equal(TimeSpan.FromMinutes(5), result.Config.Site.AllClearWindow);
    }

    // As validate reads it (provisioning): every unusable key file is an error. run starts without
    // those operators instead, as the tests after this one show.
    [Fact]
    public void Every_operator_problem_is_reported_with_its_path()
    {
        var good = WriteKey("good");
        var p384 = WriteKey("p384", ECCurve.NamedCurves.nistP384);
        var garbage = Path.Combine(_dir, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n");
        var privateKey = Path.Combine(_dir, "secret.key.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        }

        var result = TestConfigs.Read(k =>
        {
            k.Set("commands:operators:0:name", "a");
            k.Set("commands:operators:0:role", "guard");
            k.Set("commands:operators:0:publicKeyFile", Path.Combine(_dir, "missing.pub.pem"));
            k.Set("commands:operators:1:name", "b");
            k.Set("commands:operators:1:role", "janitor");
            k.Set("commands:operators:1:publicKeyFile", good);
            k.Set("commands:operators:2:name", "c");
            k.Set("commands:operators:2:role", "guard");
            k.Set("commands:operators:2:publicKeyFile", p384);
            k.Set("commands:operators:3:name", "d");
            k.Set("commands:operators:3:role", "guard");
            k.Set("commands:operators:3:publicKeyFile", garbage);
            k.Set("commands:operators:4:name", "a");
            k.Set("commands:operators:4:role", "guard");
            k.Set("commands:operators:4:publicKeyFile", good);
            k.Set("commands:operators:5:name", "e");
            k.Set("commands:operators:5:role", "guard");
            k.Set("commands:operators:5:publicKeyFile", privateKey);
            k.Set("commands:operators:6:name", "f");
            k.Set("commands:operators:6:role", "guard");
            k.Set("commands:operators:6:publicKeyFile", _dir);
            k.Set("commands:operators:6:sites:0", "Site A");
            k.Set("commands:operators:7:role", "guard");
            k.Set("commands:operators:7:publicKeyFile", good);
            k.Set("commands:operators:7:keyFile", good);
            k.Set("commands:clockSkewSeconds", "3600");
            k.Set("commands:maxLifetimeSeconds", "forever");
            k.Set("commands:allClearWindowSeconds", "5");
        }, loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:0:publicKeyFile", "operator 'a'", "does not exist");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:1:role", "janitor");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:2:publicKeyFile", "P-256");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:3:publicKeyFile", "P-256");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:4:name", "already defined", "EdgeGuard:commands:operators:0:name");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:5:publicKeyFile", "private key");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:6:publicKeyFile", "directory");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:6:sites:0");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:7:keyFile", "unknown key", "publicKeyFile");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:7:name");
        TestConfigs.AssertError(result, "EdgeGuard:commands:clockSkewSeconds");
        TestConfigs.AssertError(result, "EdgeGuard:commands:maxLifetimeSeconds");
        TestConfigs.AssertError(result, "EdgeGuard:commands:allClearWindowSeconds");
        Assert.Equal(13, result.Errors.Count);
    }

    // Printed, "alice" + U+200B is "alice": two operators the technician cannot tell apart in the
    // config, and a forged command's claimed name the office cannot tell from a real one's.
    [Theory]
    [InlineData("alice\u200b")]
    [InlineData("\u202ealice")]
    [InlineData("ali\u00adce")]
    [InlineData("alice\U000E0041")]
    public void An_operator_name_with_an_invisible_format_character_is_refused(string name)
    {
        var good = WriteKey("good");
        var result = TestConfigs.Read(k =>
        {
            k.Set("commands:operators:0:name", "alice");
            k.Set("commands:operators:0:role", "guard");
            k.Set("commands:operators:0:publicKeyFile", good);
            k.Set("commands:operators:1:name", name);
            k.Set("commands:operators:1:role", "guard");
            k.Set("commands:operators:1:publicKeyFile", good);
        });

        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:1:name", "invisible format characters");
    }

    [Fact]
    public void An_unreadable_key_file_is_reported()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            // root reads any file whatever its mode; the other problems are covered above.
            return;
        }

        var path = WriteKey("locked");
        File.SetUnixFileMode(path, UnixFileMode.None);
        var result = TestConfigs.Read(k =>
        {
            k.Set("commands:operators:0:name", "locked");
            k.Set("commands:operators:0:role", "technician");
            k.Set("commands:operators:0:publicKeyFile", path);
        }, loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:0:publicKeyFile", "cannot be read");
    }

    // A key file lost or spoilt after provisioning must not keep the gateway from protecting the
    // site: run starts without that operator, warning with the operator and the file, and the host
    // refuses their commands as key-unavailable until the file loads (MissingOperatorKeyHostTests).
    [Fact]
    public void Run_starts_without_unusable_key_files_and_warns_naming_each_operator_and_file()
    {
        var (good, missing, problems) = UnusableKeys();

        var result = TestConfigs.Read(k => SetOperators(k, good, missing, problems));

        Assert.True(result.IsValid, result.ToReport());
        var commands = result.Config!.Commands;
        Assert.Equal(["good"], commands.Operators.Select(o => o.Operator));
        // The running gateway reads the loaded keys' files again (a key revoked or rotated).
        Assert.Equal([KeyValuePair.Create("good", good)], commands.KeyFiles);
        Assert.Equal(["a", "c", "d", "e", "f"], commands.Unavailable.Select(u => u.Operator));
        Assert.Equal([missing, .. problems], commands.Unavailable.Select(u => u.File));
        Assert.Equal(OperatorRole.Supervisor, commands.Unavailable[0].Role);
        Assert.Equal(["site-a"], commands.Unavailable[0].Sites.ToArray());
        Assert.Equal($"file '{missing}' does not exist", commands.Unavailable[0].Problem);
        Assert.Equal(5, result.Warnings.Count);
        var warning = result.Warnings[0];
        Assert.Equal("EdgeGuard:commands:operators:0:publicKeyFile", warning.Path);
        Assert.StartsWith($"operator 'a': file '{missing}' does not exist", warning.Message, StringComparison.Ordinal);
        Assert.Contains("refuses this operator's commands", warning.Message, StringComparison.Ordinal);
        Assert.Contains("P-256", result.Warnings[1].Message, StringComparison.Ordinal);
        Assert.Contains("P-256", result.Warnings[2].Message, StringComparison.Ordinal);
        Assert.Contains("private key", result.Warnings[3].Message, StringComparison.Ordinal);
        Assert.Contains("directory", result.Warnings[4].Message, StringComparison.Ordinal);
        Assert.All(result.Warnings.Zip(commands.Unavailable), w => Assert.Contains(w.Second.File, w.First.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_refuses_every_unusable_key_file_naming_each()
    {
        var (good, missing, problems) = UnusableKeys();

        var result = TestConfigs.Read(k => SetOperators(k, good, missing, problems), loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:0:publicKeyFile", "operator 'a'", $"file '{missing}' does not exist");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:1:publicKeyFile", "operator 'c'", "P-256");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:2:publicKeyFile", "operator 'd'", "P-256");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:3:publicKeyFile", "operator 'e'", "private key");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:4:publicKeyFile", "operator 'f'", "directory");
        Assert.Equal(5, result.Errors.Count);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void With_every_key_in_place_run_has_no_warning_and_no_unavailable_operator()
    {
        var good = WriteKey("good");

        var result = TestConfigs.Read(k =>
        {
            k.Set("commands:operators:0:name", "good");
            k.Set("commands:operators:0:role", "guard");
            k.Set("commands:operators:0:publicKeyFile", good);
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Warnings);
        Assert.Empty(result.Config!.Commands.Unavailable);
    }

    // A good key, a missing one, and four files that are no public P-256 key (P-384, garbage, a
    // private key, a directory).
    private (string Good, string Missing, string[] Problems) UnusableKeys()
    {
        var garbage = Path.Combine(_dir, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n");
        var privateKey = Path.Combine(_dir, "secret.key.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        }

        return (WriteKey("good"), Path.Combine(_dir, "missing.pub.pem"), [WriteKey("p384", ECCurve.NamedCurves.nistP384), garbage, privateKey, _dir]);
    }

    private static void SetOperators(Dictionary<string, string?> k, string good, string missing, string[] problems)
    {
        k.Set("commands:operators:0:name", "a");
        k.Set("commands:operators:0:role", "supervisor");
        k.Set("commands:operators:0:publicKeyFile", missing);
        k.Set("commands:operators:0:sites:0", "site-a");
        string[] names = ["c", "d", "e", "f"];
        for (var i = 0; i < problems.Length; i++)
        {
            k.Set($"commands:operators:{i + 1}:name", names[i]);
            k.Set($"commands:operators:{i + 1}:role", "guard");
            k.Set($"commands:operators:{i + 1}:publicKeyFile", problems[i]);
        }

        k.Set("commands:operators:5:name", "good");
        k.Set("commands:operators:5:role", "guard");
        k.Set("commands:operators:5:publicKeyFile", good);
    }

    // Two-person approvals tell approvers apart by name: a copy of Jones's key as Smith's would let
    // Jones sign as both supervisors. validate names both operators at each of them.
    [Fact]
    public void Validate_refuses_one_key_for_two_operators_naming_both()
    {
        var (jones, smith, guard) = WriteSharedKeys();

        var result = TestConfigs.Read(k => SetSharedKeys(k, jones, smith, guard), loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:0:publicKeyFile", "operator 'sup.jones'", "same public key as operator 'sup.smith'");
        TestConfigs.AssertError(result, "EdgeGuard:commands:operators:1:publicKeyFile", "operator 'sup.smith'", "same public key as operator 'sup.jones'");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Run_starts_with_every_operator_of_a_shared_key_unavailable()
    {
        var (jones, smith, guard) = WriteSharedKeys();

        var result = TestConfigs.Read(k => SetSharedKeys(k, jones, smith, guard));

        Assert.True(result.IsValid, result.ToReport());
        var commands = result.Config!.Commands;
        Assert.Equal(["guard.brown"], commands.Operators.Select(o => o.Operator));
        Assert.Equal([KeyValuePair.Create("guard.brown", guard)], commands.KeyFiles);
        Assert.Equal(["sup.jones", "sup.smith"], commands.Unavailable.Select(u => u.Operator));
        Assert.Contains("same public key as operator 'sup.smith'", commands.Unavailable[0].Problem, StringComparison.Ordinal);
        Assert.Contains("same public key as operator 'sup.jones'", commands.Unavailable[1].Problem, StringComparison.Ordinal);
        Assert.All(commands.Unavailable, u => Assert.False(u.Key.IsDefault));
        Assert.Equal(2, result.Warnings.Count);
        Assert.Equal("EdgeGuard:commands:operators:1:publicKeyFile", result.Warnings[1].Path);
        Assert.StartsWith($"operator 'sup.smith': file '{smith}' holds the same public key as operator 'sup.jones'", result.Warnings[1].Message, StringComparison.Ordinal);
    }

    // Whoever may write the file may put in their own key: refused like any unusable key file,
    // an error for validate, the operator unavailable at run.
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void A_key_file_group_or_others_may_write_is_refused_by_validate_and_unavailable_at_run()
    {
        var loose = WriteKey("sup.jones");
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead);
        void Set(Dictionary<string, string?> k)
        {
            k.Set("commands:operators:0:name", "sup.jones");
            k.Set("commands:operators:0:role", "supervisor");
            k.Set("commands:operators:0:publicKeyFile", loose);
        }

        TestConfigs.AssertError(TestConfigs.Read(Set, loadFiles: true), "EdgeGuard:commands:operators:0:publicKeyFile", loose, "writable by group or others (mode 0664)");
        var run = TestConfigs.Read(Set);
        Assert.True(run.IsValid, run.ToReport());
        Assert.Empty(run.Config!.Commands.Operators);
        Assert.Contains("writable by group or others", Assert.Single(run.Config.Commands.Unavailable).Problem, StringComparison.Ordinal);
    }

    // Whoever may write the key directory may rename their own key over the file, whatever the
    // file's mode: refused exactly as a key file others may write is, an error for validate (with
    // the other problems), the operator unavailable at run.
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void A_key_directory_group_or_others_may_write_is_refused_by_validate_and_unavailable_at_run()
    {
        var loose = Path.Combine(_dir, "operators");
        Directory.CreateDirectory(loose);
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var key = Path.Combine(loose, "sup.jones.pub.pem");
        File.Move(WriteKey("sup.jones"), key);
        void Set(Dictionary<string, string?> k)
        {
            k.Set("commands:operators:0:name", "sup.jones");
            k.Set("commands:operators:0:role", "supervisor");
            k.Set("commands:operators:0:publicKeyFile", key);
            k.Set("commands:operators:1:name", "guard.smith");
            k.Set("commands:operators:1:role", "janitor");
            k.Set("commands:operators:1:publicKeyFile", WriteKey("guard.smith"));
        }

        var validate = TestConfigs.Read(Set, loadFiles: true);
        TestConfigs.AssertError(validate, "EdgeGuard:commands:operators:0:publicKeyFile", key, $"directory '{loose}'", "writable by group or others (mode 0775)");
        TestConfigs.AssertError(validate, "EdgeGuard:commands:operators:1:role", "janitor");
        Assert.Equal(2, validate.Errors.Count);

        var run = TestConfigs.Read(k =>
        {
            Set(k);
            k.Set("commands:operators:1:role", "guard");
        });
        Assert.True(run.IsValid, run.ToReport());
        Assert.Equal(["guard.smith"], run.Config!.Commands.Operators.Select(o => o.Operator));
        var unavailable = Assert.Single(run.Config.Commands.Unavailable);
        Assert.Equal("sup.jones", unavailable.Operator);
        Assert.Contains($"directory '{loose}', which is writable by group or others", unavailable.Problem, StringComparison.Ordinal);
        Assert.Contains(key, Assert.Single(run.Warnings).Message, StringComparison.Ordinal);
    }

    // Jones's key copied as Smith's, and a guard with a key of their own.
    private (string Jones, string Smith, string Guard) WriteSharedKeys()
    {
        var jones = WriteKey("sup.jones");
        var smith = Path.Combine(_dir, "sup.smith.pub.pem");
        File.Copy(jones, smith);
        return (jones, smith, WriteKey("guard.brown"));
    }

    private static void SetSharedKeys(Dictionary<string, string?> k, string jones, string smith, string guard)
    {
        k.Set("commands:operators:0:name", "sup.jones");
        k.Set("commands:operators:0:role", "supervisor");
        k.Set("commands:operators:0:publicKeyFile", jones);
        k.Set("commands:operators:1:name", "sup.smith");
        k.Set("commands:operators:1:role", "supervisor");
        k.Set("commands:operators:1:publicKeyFile", smith);
        k.Set("commands:operators:2:name", "guard.brown");
        k.Set("commands:operators:2:role", "guard");
        k.Set("commands:operators:2:publicKeyFile", guard);
    }

    [Fact]
    public void A_misspelled_commands_key_is_reported()
    {
        var result = TestConfigs.Read(k => k.Set("commands:clockSkew", "5"));

        TestConfigs.AssertError(result, "EdgeGuard:commands:clockSkew", "clockSkewSeconds");
    }
}
