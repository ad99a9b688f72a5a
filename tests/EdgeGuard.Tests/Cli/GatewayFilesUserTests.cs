using EdgeGuard.Cli;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// The decision that keeps a tool run as root (or anyone but the gateway's user) from creating
/// files the gateway could then not write; owners and names are given, as no test may chown.
/// </summary>
public sealed class GatewayFilesUserTests
{
    private const uint Root = 0;
    private const uint Service = 998;

    private static readonly Dictionary<string, uint> Owners = new(StringComparer.Ordinal)
    {
        ["/var/lib/edgeguard"] = Service,
        ["/var/lib/edgeguard/edgeguard.db"] = Service,
        ["/media/card/edgeguard.db"] = 4321,
    };

    private static string? Name(uint uid) => uid switch { Root => "root", Service => "edgeguard", _ => null };

    private static readonly string[] Invocation = ["/opt/edgeguard/current/edgeguard", "journal", "verify"];

    private static string? Decide(uint effective, params string[] paths) =>
        GatewayFilesUser.Refusal(Invocation, paths, effective, p => Owners.TryGetValue(p, out var o) ? o : null, Name);

    [Fact]
    public void Root_on_the_gateways_journal_is_refused_and_told_to_run_as_its_owner()
    {
        var refusal = Decide(Root, "/var/lib/edgeguard/edgeguard.db");

        Assert.NotNull(refusal);
        Assert.StartsWith("/var/lib/edgeguard/edgeguard.db belongs to edgeguard (uid 998), but this runs as root (uid 0)", refusal, StringComparison.Ordinal);
        Assert.EndsWith("Run as the gateway's user: sudo -u edgeguard /opt/edgeguard/current/edgeguard journal verify", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_owner_without_a_name_is_given_to_sudo_by_uid()
    {
        var refusal = Decide(Service, "/media/card/edgeguard.db");

        Assert.NotNull(refusal);
        Assert.Contains("belongs to uid 4321, but this runs as edgeguard (uid 998)", refusal, StringComparison.Ordinal);
        Assert.Contains("sudo -u '#4321' /opt/edgeguard/current/edgeguard journal verify", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_owner_itself_goes_on_and_a_missing_path_decides_nothing()
    {
        Assert.Null(Decide(Service, "/var/lib/edgeguard", "/var/lib/edgeguard/edgeguard.db"));
        Assert.Null(Decide(Root, "/nowhere/edgeguard.db"));
    }

    [Fact]
    public void The_first_path_owned_by_another_user_is_the_one_named()
    {
        var refusal = Decide(4321, "/media/card/edgeguard.db", "/var/lib/edgeguard/edgeguard.db");

        Assert.NotNull(refusal);
        Assert.StartsWith("/var/lib/edgeguard/edgeguard.db belongs to edgeguard", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hint_runs_the_program_by_its_path_with_the_users_own_arguments_quoted_for_a_shell()
    {
        string[] invocation = ["/opt/edgeguard/current/edgeguard", "journal", "export", "--db", "/media/my card/it's.db", "--from", "7"];

        var refusal = GatewayFilesUser.Refusal(invocation, ["/media/my card/it's.db"], Root, _ => Service, Name);

        Assert.NotNull(refusal);
        Assert.EndsWith(
            "sudo -u edgeguard /opt/edgeguard/current/edgeguard journal export --db '/media/my card/it'\\''s.db' --from 7",
            refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_reads_a_journal_whose_wal_and_shm_are_there_but_not_one_it_would_create_them_beside()
    {
        var running = new Dictionary<string, uint>(Owners)
        {
            ["/var/lib/edgeguard/edgeguard.db-wal"] = Service,
            ["/var/lib/edgeguard/edgeguard.db-shm"] = Service,
        };
        var onlyWal = new Dictionary<string, uint>(Owners) { ["/var/lib/edgeguard/edgeguard.db-wal"] = Service };

        Assert.Null(JournalDecide(running, Root));
        Assert.Contains("belongs to edgeguard (uid 998), but this runs as root", JournalDecide(onlyWal, Root), StringComparison.Ordinal);
        Assert.Contains("belongs to edgeguard (uid 998), but this runs as root", JournalDecide(Owners, Root), StringComparison.Ordinal);
    }

    [Fact]
    public void Lock_and_journal_files_left_by_root_are_named_with_the_chown_that_fixes_them()
    {
        var owners = new Dictionary<string, uint>(Owners)
        {
            ["/var/lib/edgeguard/edgeguard.lock"] = Root,
            ["/var/lib/edgeguard/edgeguard.pid"] = Service,
            ["/var/lib/edgeguard/edgeguard.db-wal"] = Root,
            ["/var/lib/edgeguard/edgeguard.db-shm"] = Root,
        };

        var warning = GatewayFilesUser.LeftoverWarning(
            "/var/lib/edgeguard", "/var/lib/edgeguard/edgeguard.db", p => owners.TryGetValue(p, out var o) ? o : null, Name);

        Assert.Equal(
            "/var/lib/edgeguard/edgeguard.lock belongs to root (uid 0); /var/lib/edgeguard/edgeguard.db-wal belongs to root (uid 0); "
            + "/var/lib/edgeguard/edgeguard.db-shm belongs to root (uid 0), not to edgeguard (uid 998), who owns "
            + "/var/lib/edgeguard/edgeguard.db: left by a tool run as another user, they keep the gateway from starting "
            + "(it cannot write them). Fix: sudo chown edgeguard: /var/lib/edgeguard/edgeguard.lock "
            + "/var/lib/edgeguard/edgeguard.db-wal /var/lib/edgeguard/edgeguard.db-shm",
            warning);
    }

    [Fact]
    public void No_leftover_warning_when_the_gateways_user_owns_them_all_or_none_is_there()
    {
        var owners = new Dictionary<string, uint>(Owners)
        {
            ["/var/lib/edgeguard/edgeguard.lock"] = Service,
            ["/var/lib/edgeguard/edgeguard.db-wal"] = Service,
        };

        Assert.Null(GatewayFilesUser.LeftoverWarning(
            "/var/lib/edgeguard", "/var/lib/edgeguard/edgeguard.db", p => owners.TryGetValue(p, out var o) ? o : null, Name));
        Assert.Null(GatewayFilesUser.LeftoverWarning(
            "/var/lib/edgeguard", "/var/lib/edgeguard/edgeguard.db", p => Owners.TryGetValue(p, out var o) ? o : null, Name));
    }

    private static string? JournalDecide(Dictionary<string, uint> owners, uint effective) =>
        GatewayFilesUser.JournalRefusal(
            Invocation, "/var/lib/edgeguard/edgeguard.db", effective, p => owners.TryGetValue(p, out var o) ? o : null, Name);

    [Fact]
    public void Run_again_as_the_gateways_user_names_this_program_by_its_path_and_keeps_the_arguments()
    {
        var command = GatewayFilesUser.RunAgainAs("edgeguard", ["walktest", "--config", "/etc/edge guard/a.json"]);

        Assert.StartsWith($"sudo -u edgeguard {GatewayFilesUser.ShellQuote(Environment.ProcessPath!)} ", command, StringComparison.Ordinal);
        Assert.EndsWith(" walktest --config '/etc/edge guard/a.json'", command, StringComparison.Ordinal);
    }
}
