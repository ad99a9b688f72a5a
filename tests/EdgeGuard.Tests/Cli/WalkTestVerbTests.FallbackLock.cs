using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Hosting;
using EdgeGuard.Tests.Configuration;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// The gateway's lock in the journal's volatile fallback directory, where a gateway whose state
/// directory does not answer at its start takes it: the walk test must hold it too, in either
/// order of starts, or both could drive the same lines.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    [Fact]
    public async Task It_refuses_to_start_while_a_gateway_holds_its_lock_in_the_fallback_directory()
    {
        // A gateway whose state directory did not answer at its start took its lock there; the
        // state directory's lock is then free.
        var config = WriteConfig(HallPoints);
        using (GatewayLock.Acquire(Directory.CreateDirectory(Fallback).FullName))
        {
            var code = await StartAsync(CancellationToken.None, "--config", config).WaitAsync(Patience);

            Assert.Equal(ExitCodes.Failure, code);
            Assert.Contains($"cannot walk-test: the gateway is running, its lock in the fallback directory {Fallback} (pid {Environment.ProcessId})", Screen);
            Assert.False(File.Exists(Socket)); // refused before any line or socket was opened
        }
    }

    [Fact]
    public async Task A_gateway_started_during_the_walk_test_cannot_take_its_lock_in_the_fallback_directory()
    {
        // No gateway has used the fallback directory this boot: no directory, no lock file. systemd
        // creates it as the unit starts, and a gateway whose card does not answer then locks there.
        var config = WriteConfig(HallPoints);
        Assert.False(Directory.Exists(Fallback));
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, "--config", config);
        await using (await ConnectAsync(walk))
        {
            var held = Assert.Throws<GatewayLockedException>(() => GatewayLock.Acquire(Fallback));
            Assert.Equal(Path.Combine(Fallback, GatewayLock.FileName), held.LockPath);
        }

        stop.Cancel();
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        GatewayLock.Acquire(Fallback).Dispose(); // released with the walk test
    }

    [Theory]
    [InlineData("same")]
    [InlineData("trailing separator")]
    [InlineData("link")]
    public async Task A_fallback_directory_that_is_the_state_directory_is_not_taken_for_a_running_gateway(string naming)
    {
        var state = Path.Combine(_dir, "state");
        var fallback = naming switch
        {
            "same" => state,
            "trailing separator" => state + Path.DirectorySeparatorChar,
            _ => Directory.CreateSymbolicLink(Path.Combine(_dir, "state-link"), state).FullName,
        };
        var node = JsonNode.Parse(File.ReadAllText(WriteConfig(HallPoints)))!;
        node["EdgeGuard"]!["journal"] = new JsonObject { ["fallbackDirectory"] = fallback };
        var config = Path.Combine(_dir, "walk-same.json");
        File.WriteAllText(config, node.ToJsonString());
        File.WriteAllText(Path.Combine(state, GatewayLock.FileName), string.Empty); // left by an earlier run

        var walk = StartAsync(CancellationToken.None, "--config", config, "--duration", "1s");

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.DoesNotContain("the gateway is running", Screen, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fallback_directory_that_cannot_be_created_refuses_the_walk_test_on_real_lines()
    {
        // The walk test runs as the gateway's user, who cannot create a directory in /run: with
        // none there, a gateway started meanwhile would get one from systemd and lock it unopposed.
        var blocker = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(blocker, string.Empty);
        var node = JsonNode.Parse(File.ReadAllText(WriteConfig(HallPoints)))!;
        node["EdgeGuard"]!["journal"] = new JsonObject { ["fallbackDirectory"] = Path.Combine(blocker, "run") };
        var config = GatewayConfigReader.Read(TestConfigs.FromJson(node.ToJsonString()), simulate: true).Config!;

        var refused = Assert.Throws<WalkTestRefusedException>(() => WalkTestVerb.TakeFallbackLock(config, simulate: false));

        Assert.StartsWith($"the gateway's fallback directory {Path.Combine(blocker, "run")} does not exist and cannot be created", refused.Message, StringComparison.Ordinal);
        Assert.Contains("sudo install -d -o edgeguard -g edgeguard -m 0750", refused.Message, StringComparison.Ordinal);
        Assert.Null(WalkTestVerb.TakeFallbackLock(config, simulate: true)); // simulated lines: nothing to share
    }

    [Fact]
    public void A_fallback_directory_that_cannot_be_created_names_the_provisioned_tmpfiles_entry_as_the_fix()
    {
        // Provisioning installs a tmpfiles.d entry for the directory: creating it from that entry
        // keeps the one definition of its mode and owner, and it comes back at every boot.
        var blocker = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(blocker, string.Empty);
        var fallback = Path.Combine(blocker, "run");
        var entry = Path.Combine(_dir, "edgeguard.conf");
        File.WriteAllText(entry, $"# provisioned\nd {fallback} 0750 edgeguard edgeguard -\n");
        var config = FallbackConfig(fallback);

        var refused = Assert.Throws<WalkTestRefusedException>(() => WalkTestVerb.TakeFallbackLock(config, simulate: false, entry));

        Assert.Contains($"create it (sudo systemd-tmpfiles --create {entry}) and walk-test again", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("install -d", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("another directory")]
    public void Without_a_tmpfiles_entry_for_the_fallback_directory_the_fix_is_install_d(string entryKind)
    {
        // A gateway provisioned before the entry existed, or a config whose fallback directory is
        // not the one the entry creates: systemd-tmpfiles would not create this directory.
        var blocker = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(blocker, string.Empty);
        var fallback = Path.Combine(blocker, "run");
        var entry = Path.Combine(_dir, "edgeguard.conf");
        if (entryKind != "missing")
        {
            File.WriteAllText(entry, "d /run/edgeguard 0750 edgeguard edgeguard -\n");
        }

        var refused = Assert.Throws<WalkTestRefusedException>(
            () => WalkTestVerb.TakeFallbackLock(FallbackConfig(fallback), simulate: false, entry));

        Assert.Contains($"create it (sudo install -d -o edgeguard -g edgeguard -m 0750 {fallback}) and walk-test again", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("systemd-tmpfiles", refused.Message, StringComparison.Ordinal);
    }

    // A journal.fallbackDirectory (or, for the tmpfiles.d fix, an entry) whose path holds a space
    // or a quote: the printed command left it unquoted, so a technician's paste made the wrong
    // directories (or none). Run by a POSIX shell, the command's words are the program's arguments.
    [Theory]
    [InlineData("install -d")]
    [InlineData("systemd-tmpfiles")]
    public void The_printed_fix_for_a_fallback_directory_names_its_path_as_one_shell_word(string fix)
    {
        var blocker = Path.Combine(_dir, fix == "install -d" ? "it's not a directory" : "not-a-directory");
        File.WriteAllText(blocker, string.Empty);
        var fallback = Path.Combine(blocker, fix == "install -d" ? "run dir" : "run");
        var entry = Path.Combine(_dir, "tmpfiles d", "edge guard's.conf");
        string[] words = ["install", "-d", "-o", "edgeguard", "-g", "edgeguard", "-m", "0750", fallback];
        if (fix == "systemd-tmpfiles")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            File.WriteAllText(entry, $"d {fallback} 0750 edgeguard edgeguard -\n");
            words = ["systemd-tmpfiles", "--create", entry];
        }

        var refused = Assert.Throws<WalkTestRefusedException>(
            () => WalkTestVerb.TakeFallbackLock(FallbackConfig(fallback), simulate: false, entry));

        var command = refused.Message[(refused.Message.IndexOf("create it (sudo ", StringComparison.Ordinal) + "create it (sudo ".Length)..];
        command = command[..command.LastIndexOf(") and walk-test again", StringComparison.Ordinal)];
        Assert.Equal(words, ShellWords.Of(command));
    }

    private GatewayConfig FallbackConfig(string fallback)
    {
        var node = JsonNode.Parse(File.ReadAllText(WriteConfig(HallPoints)))!;
        node["EdgeGuard"]!["journal"] = new JsonObject { ["fallbackDirectory"] = fallback };
        return GatewayConfigReader.Read(TestConfigs.FromJson(node.ToJsonString()), simulate: true).Config!;
    }
}
