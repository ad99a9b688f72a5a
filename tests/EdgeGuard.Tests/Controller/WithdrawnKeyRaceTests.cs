using System.Collections.Immutable;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The handler checks a command's key just before it hands the command over, but a withdrawal
/// (the minute's re-check finding the file removed, or holding a new key) can come between that
/// check and the loop dequeuing the command. The controller hears of the withdrawal first, has no
/// approval of that operator's to drop, and then counted the all-clear the withdrawn key signed:
/// with a second supervisor's approval already counted, it lifted the lockdown. Each test does
/// what the handler does (its check passes), withdraws the key with the real key lookup (which
/// tells the controller), and only then hands the command to the loop: deterministic, no timing.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class WithdrawnKeyRaceTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a")],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private const string Withdrawn = "key-unavailable: the key of operator 'sup-1' that verified it was withdrawn or replaced before it could be executed";

    private readonly string _dir = Directory.CreateTempSubdirectory("edgeguard-key-race-").FullName;
    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());
    private readonly OperatorKeyFiles _keys;
    private readonly CommandVerifier _verifier;

    private bool HoldNews { get; set; }

    public WithdrawnKeyRaceTests()
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal) { ["sup-1"] = WriteKey("sup-1"), ["sup-2"] = WriteKey("sup-2") };
        var options = new CommandOptions([.. files.Select(f => Load(f.Key, f.Value))], TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(15)) { KeyFiles = files };
        // Told to the loop as the host does, unless a test holds the news back (the instant
        // between the lookup dropping a key and the loop hearing of it).
        _keys = new OperatorKeyFiles(
            options,
            events => { if (!HoldNews) { _h.Controller.ReportFromOutside(events); } },
            op => { if (!HoldNews) { _h.Controller.WithdrawApprovalOf(op); } },
            _h.Time,
            NullLogger<OperatorKeyFiles>.Instance);
        _verifier = new CommandVerifier(_keys, new InMemorySeenCommandIds(), new CommandVerifierOptions("site-t", "gw-t"));
        // As the host's composition does (CommandComposition).
        _h.Controller.RefuseWithdrawnKeys(_verifier.KeyNoLongerTrusted);
    }

    [Fact]
    public async Task An_all_clear_whose_key_is_withdrawn_after_the_handlers_check_is_refused_by_the_controller_not_counted()
    {
        await LockedDownWithApprovalOfSup2Async();
        var allClear = Verified(CommandType.AllClear, "sup-1");
        Assert.Null(_verifier.KeyWithdrawn(allClear)); // the handler's check: still trusted

        File.Delete(Path.Combine(_dir, "sup-1.pub.pem"));
        _keys.Recheck(); // withdraws the key and tells the controller, ahead of the command
        var outcome = await _h.ExecuteAsync(allClear);

        Assert.False(outcome.Done, outcome.Detail);
        Assert.StartsWith(Withdrawn + " (", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock stays locked");
        Assert.Equal(["sup-2"], _h.Controller.Current.AllClearApprovals!.Approvals.Select(a => a.Operator));
        Assert.DoesNotContain(_h.Events.Events, e => e is LockdownCleared);
        // Journaled as the command's final event, after the fault that withdrew the key.
        var refused = Assert.IsType<CommandRefused>(_h.Events.Events[^1]);
        Assert.Equal((allClear.Command.Id, CommandType.AllClear, "sup-1", outcome.Detail), (refused.CommandId, refused.CommandType, refused.Operator, refused.Reason));
        Assert.IsType<OperatorKeyFault>(_h.Events.Events[^2]);
    }

    [Fact]
    public async Task An_all_clear_signed_by_a_key_rotated_after_the_handlers_check_is_refused_and_the_new_keys_counts()
    {
        await LockedDownWithApprovalOfSup2Async();
        var stolen = Verified(CommandType.AllClear, "sup-1");
        Assert.Null(_verifier.KeyWithdrawn(stolen));

        WriteKey("sup-1");
        _keys.Recheck(); // a rotation: no fault, the controller is told directly
        var refused = await _h.ExecuteAsync(stolen);
        var renewed = await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-1"));

        Assert.False(refused.Done, refused.Detail);
        Assert.Equal(Withdrawn + "; not carried out: send a new command signed with a trusted key", refused.Detail);
        Assert.True(renewed.Done, renewed.Detail);
        Assert.Contains(_h.Events.Events, e => e is LockdownCleared { ClearedBy: "sup-2+sup-1" });
    }

    [Fact]
    public async Task A_lockdown_whose_key_is_withdrawn_after_the_handlers_check_is_refused_and_locks_nothing()
    {
        await _h.BootAsync();
        var lockdown = Verified(CommandType.Lockdown, "sup-1");
        Assert.Null(_verifier.KeyWithdrawn(lockdown));

        File.Delete(Path.Combine(_dir, "sup-1.pub.pem"));
        _keys.Recheck();
        var outcome = await _h.ExecuteAsync(lockdown);

        Assert.False(outcome.Done, outcome.Detail);
        Assert.StartsWith(Withdrawn, outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
        Assert.False(_h.Driver.GetOutputLevel(10), "nothing locked");
    }

    // The other order: sup-1's approval is counted, then the lookup withdraws sup-1's key, and
    // sup-2's all-clear is executed before the loop hears of it. Withdrawn or rotated, the key
    // that signed the counted approval is asked again before a second approval could lift it.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_counted_approval_whose_key_is_withdrawn_before_the_loop_hears_of_it_does_not_complete_the_two_person_rule(bool rotated)
    {
        await _h.BootAsync();
        Assert.True((await _h.ExecuteAsync(Verified(CommandType.Lockdown, "sup-2"))).Done);
        Assert.True((await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-1"))).Done);

        HoldNews = true;
        if (rotated)
        {
            WriteKey("sup-1");
        }
        else
        {
            File.Delete(Path.Combine(_dir, "sup-1.pub.pem"));
        }

        _keys.Recheck();
        var second = await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-2"));

        Assert.True(second.Done, second.Detail);
        Assert.Contains("approved by 'sup-2'; a second supervisor must approve", second.Detail, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.Equal(["sup-2"], _h.Controller.Current.AllClearApprovals!.Approvals.Select(a => a.Operator));
    }

    [Fact]
    public async Task A_command_whose_key_checks_fail_in_the_loop_is_answered_and_the_next_one_runs()
    {
        // Before, a failure in the key checks ahead of the decision left the command unanswered:
        // the subscriber, one command at a time, held every later one (a remote lockdown too).
        await _h.BootAsync();
        Assert.True((await _h.ExecuteAsync(Verified(CommandType.Lockdown, "sup-2"))).Done);
        Assert.True((await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-1"))).Done);
        HoldNews = true;
        File.Delete(Path.Combine(_dir, "sup-1.pub.pem"));
        _keys.Recheck();
        _h.Controller.Decider = (site, state, input, now) =>
            input is OperatorKeyWithdrawn ? throw new InvalidOperationException("a bug in the decider") : SiteDecider.Decide(site, state, input, now);

        var failed = await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-2")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(failed.Done);
        Assert.Contains("the gateway failed on this command", failed.Detail, StringComparison.Ordinal);
        // Journaled as ended too: before, the journal showed it received and never answered.
        var refused = Assert.Single(_h.Events.Events.OfType<CommandRefused>(), r => r.CommandType == CommandType.AllClear && r.Operator == "sup-2");
        Assert.Contains("the gateway failed on this command", refused.Reason, StringComparison.Ordinal);
        _h.Controller.Decider = SiteDecider.Decide;
        Assert.True((await _h.ExecuteAsync(Verified(CommandType.Lockdown, "sup-2")).WaitAsync(TimeSpan.FromSeconds(30))).Done);
    }

    [Fact]
    public async Task A_key_read_again_unchanged_after_the_handlers_check_lets_the_all_clear_count()
    {
        await LockedDownWithApprovalOfSup2Async();
        var allClear = Verified(CommandType.AllClear, "sup-1");

        _keys.Recheck(); // the minute's re-read of files that did not change
        var outcome = await _h.ExecuteAsync(allClear);

        Assert.True(outcome.Done, outcome.Detail);
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        _keys.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task LockedDownWithApprovalOfSup2Async()
    {
        await _h.BootAsync();
        var locked = await _h.ExecuteAsync(Verified(CommandType.Lockdown, "sup-2"));
        Assert.True(locked.Done, locked.Detail);
        var first = await _h.ExecuteAsync(Verified(CommandType.AllClear, "sup-2"));
        Assert.True(first.Done, first.Detail);
    }

    // As the verifier hands it over: with the key its signature verified with (the one trusted now).
    private VerifiedCommand Verified(CommandType type, string op) =>
        new(new CommandEnvelope(Guid.NewGuid().ToString(), type, "site-t", "gw-t", op, _h.Time.GetUtcNow(), _h.Time.GetUtcNow().AddMinutes(1),
            JsonObjectItem.Empty, ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])), OperatorRole.Supervisor)
        {
            Key = _keys.Trusted(op) ?? throw new InvalidOperationException($"no key trusted for {op}"),
        };

    private static OperatorKey Load(string op, string file)
    {
        Assert.Null(OperatorKeyFile.Read(op, file, out var key));
        return new OperatorKey(op, OperatorRole.Supervisor, key, []);
    }

    // Mode 0644 as provisioning installs it: the key file reader refuses one others may write.
    private string WriteKey(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_dir, $"{name}.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}
