using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// The gateway's restart on a real system (provision-system.sh's enable_service), run as
/// provision-gateway.sh runs it there, against a systemctl shim that records its calls. A run
/// stopped after its switch and before the restart (Ctrl-C, a dropped SSH session, a failed
/// daemon-reload) left the old release running on the old config, and a run again found every file
/// in place: it restarted nothing and said "nothing changed". Now a switch leaves a marker that
/// only a restart clears.
/// </summary>
public sealed class ProvisionRestartTests : IDisposable
{
    private const string Marker = "etc/edgeguard/restart-pending";
    private readonly TempDirectory _root = new();
    private readonly TempDirectory _scratch = new();

    public ProvisionRestartTests() => Directory.CreateDirectory(Path.Combine(_root.Path, "etc/edgeguard"));

    public void Dispose()
    {
        _root.Dispose();
        _scratch.Dispose();
    }

    private string Calls => Path.Combine(_scratch.Path, "calls");

    [Fact]
    public async Task A_switch_on_a_real_system_owes_a_restart_and_one_under_root_does_not()
    {
        var system = await RunAsync("mode=system dry_run=false", "echo new >\"$R/etc/edgeguard/x.tmp\"; move_into_place \"$R/etc/edgeguard/x.tmp\" \"$R/etc/edgeguard/x\"");
        Assert.True(system.ExitCode == 0, system.All);
        Assert.True(File.Exists(Path.Combine(_root.Path, Marker)), "a switch on a real system left no marker");

        File.Delete(Path.Combine(_root.Path, Marker));
        var root = await RunAsync("mode=root dry_run=false", "echo new >\"$R/etc/edgeguard/y.tmp\"; move_into_place \"$R/etc/edgeguard/y.tmp\" \"$R/etc/edgeguard/y\"");
        Assert.True(root.ExitCode == 0, root.All);
        Assert.False(File.Exists(Path.Combine(_root.Path, Marker)), "--root restarts nothing, so it owes nothing");
    }

    [Fact]
    public async Task A_run_again_after_one_stopped_before_its_restart_restarts_the_gateway()
    {
        await File.WriteAllTextAsync(Path.Combine(_root.Path, Marker), "");

        var again = await RunAsync("mode=system dry_run=false", "enable_service unchanged");

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("restart edgeguard.service", await File.ReadAllLinesAsync(Calls));
        Assert.Contains("restarted  edgeguard.service (an earlier run switched to EdgeGuard 1.2.3 and stopped before its restart)", again.Output, StringComparison.Ordinal);
        Assert.Contains("after: 1 change(s)", again.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root.Path, Marker)), "the restart did not clear the marker");

        // Owed no more: the next run again leaves the gateway alone.
        File.Delete(Calls);
        var next = await RunAsync("mode=system dry_run=false", "enable_service unchanged");
        Assert.True(next.ExitCode == 0, next.All);
        Assert.DoesNotContain("restart edgeguard.service", await File.ReadAllLinesAsync(Calls));
        Assert.Contains("after: 0 change(s)", next.Output, StringComparison.Ordinal);
    }

    // systemd counts manual starts against StartLimitBurst too (StartLimitAction=reboot); and a
    // unit changed by a run that stopped before its daemon-reload is reloaded by the next.
    [Theory]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    public async Task Every_run_resets_the_start_limit_and_reloads_a_unit_systemd_has_not(string needReload, bool reloads)
    {
        var run = await RunAsync("mode=system dry_run=false", "enable_service unchanged", needReload);

        Assert.True(run.ExitCode == 0, run.All);
        var calls = await File.ReadAllLinesAsync(Calls);
        Assert.Contains("reset-failed edgeguard.service", calls);
        Assert.Equal(reloads, calls.Contains("daemon-reload"));
        Assert.True(Array.IndexOf(calls, "reset-failed edgeguard.service") < Array.IndexOf(calls, "is-active --quiet edgeguard.service"), string.Join('\n', calls));
    }

    // A gateway still starting (activating: a start queued during a walk test waits for its lock,
    // `systemctl start --no-block edgeguard` as the README has it) read the old config before it
    // waits. `is-active` is false then, so the restart was skipped and `enable --now` joined that
    // start job: the old release ran on the old config and the marker was gone. An owed restart is a
    // restart whatever the unit's state: it replaces a start job and starts a stopped unit.
    [Theory]
    [InlineData("activating", "changes=0", true)]
    [InlineData("activating", "changes=2", false)]
    [InlineData("inactive", "changes=0", true)]
    [InlineData("failed", "changes=2", false)]
    [InlineData("active", "changes=2", false)]
    public async Task An_owed_restart_restarts_a_gateway_still_starting_or_stopped(string state, string changes, bool marker)
    {
        if (marker)
        {
            await File.WriteAllTextAsync(Path.Combine(_root.Path, Marker), "");
        }

        var run = await RunAsync("mode=system dry_run=false", $"{changes}; enable_service unchanged", activeState: state);

        Assert.True(run.ExitCode == 0, run.All);
        var calls = await File.ReadAllLinesAsync(Calls);
        var enable = Array.IndexOf(calls, "enable edgeguard.service");
        var restart = Array.IndexOf(calls, "restart edgeguard.service");
        Assert.True(enable >= 0 && restart > enable, string.Join('\n', calls));
        Assert.DoesNotContain("enable --now edgeguard.service", calls);
        Assert.False(File.Exists(Path.Combine(_root.Path, Marker)), "the marker outlived the restart");
    }

    // Owed nothing (every file as the running release read it): never restarted; one not running
    // yet is started (a start job under way is joined: it runs what is installed).
    [Theory]
    [InlineData("activating", true)]
    [InlineData("inactive", true)]
    [InlineData("active", false)]
    public async Task Owed_nothing_the_gateway_is_not_restarted_and_started_unless_running(string state, bool starts)
    {
        var run = await RunAsync("mode=system dry_run=false", "enable_service unchanged", activeState: state);

        Assert.True(run.ExitCode == 0, run.All);
        var calls = await File.ReadAllLinesAsync(Calls);
        Assert.DoesNotContain("restart edgeguard.service", calls);
        Assert.Equal(starts, calls.Contains("enable --now edgeguard.service"));
        Assert.Contains(starts ? "after: 1 change(s)" : "after: 0 change(s)", run.Output, StringComparison.Ordinal);
    }

    // The service enabled and ACTIVESTATE (systemctl is-active's answer, exit 0 only for active);
    // systemctl show answers NeedDaemonReload.
    private async Task<Scripts.Result> RunAsync(string variables, string step, string needReload = "no", string activeState = "active")
    {
        var bin = Path.Combine(_scratch.Path, "bin");
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, "systemctl");
        await File.WriteAllTextAsync(shim, $"""
            #!/bin/sh
            echo "$*" >>"{Calls}"
            case "$1" in
              show) echo {needReload} ;;
              is-active)
                [ "$2" = --quiet ] || echo {activeState}
                [ {activeState} = active ] || exit 3 ;;
            esac
            exit 0

            """);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.AppendAllText(Calls, "");
        var harness = Path.Combine(_scratch.Path, "restart-step.sh");
        await File.WriteAllTextAsync(harness, $$"""
            set -euo pipefail
            shopt -s inherit_errexit
            die() { echo "provision-gateway: error: $*" >&2; exit 1; }
            R=$1 {{variables}} can_chown=false eg_uid="" eg_gid="" changes=0 version=1.2.3 staging=$2
            staged=() warnings=()
            . "$3/deploy/provision-lib.sh"
            . "$3/deploy/provision-system.sh"
            {{step}}
            echo "after: $changes change(s)"

            """);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };

        return await Scripts.RunAsync(harness, Patience, environment, _root.Path, _scratch.Path, Scripts.RepoRoot);
    }
}
