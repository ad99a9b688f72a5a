using EdgeGuard.Controller;
using System.Collections.Immutable;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Controller;

/// <summary>A verified office command through the controller's one loop: persisted, driven, answered.</summary>
public sealed class OfficeCommandControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(25), "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]));

    private readonly List<SafetyState> _saved = [];
    private readonly ControllerHarness _h;

    public OfficeCommandControllerTests() => _h = new ControllerHarness(Site, _ => new ListStore(_saved));

    // Signed by the clock of the gateway it is sent to (a test's own harness, when it has one): an
    // all-clear signed before the latest alert counts for nothing.
    private VerifiedCommand Command(CommandType type, string op, ControllerHarness? to = null) =>
        new(new CommandEnvelope(Guid.NewGuid().ToString(), type, "site-t", "gw-t", op, (to ?? _h).Time.GetUtcNow(), (to ?? _h).Time.GetUtcNow().AddMinutes(1),
            JsonObjectItem.Empty, ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])), OperatorRole.Supervisor);

    [Fact]
    public async Task An_office_lockdown_is_persisted_and_driven_before_it_is_answered_and_two_supervisors_lift_it()
    {
        await _h.BootAsync();

        var locked = await _h.ExecuteAsync(Command(CommandType.Lockdown, "sup-1"));

        Assert.True(locked.Done, locked.Detail);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_saved).Mode);
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock is driven by the time the office hears 'done'");
        var first = await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-1"));
        var same = await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-1"));
        Assert.True(first.Done);
        Assert.False(same.Done);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);

        var cleared = await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-2"));

        Assert.True(cleared.Done, cleared.Detail);
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
        Assert.False(_h.Driver.GetOutputLevel(10));
        Assert.Contains(_h.Events.Events, e => e is LockdownCleared { ClearedBy: "sup-1+sup-2" });
        Assert.Equal(4, _h.Events.Events.Count(e => e is CommandDone or CommandRefused));
    }

    [Fact]
    public async Task An_approval_by_an_operator_whose_key_is_withdrawn_before_the_second_does_not_lift_the_lockdown()
    {
        await _h.BootAsync();
        await _h.ExecuteAsync(Command(CommandType.Lockdown, "sup-1"));
        Assert.True((await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-1"))).Done);

        // OperatorKeyFiles' minute re-check finds sup-1's file gone: it reports the fault so.
        _h.Controller.ReportFromOutside([new OperatorKeyFault(_h.Time.GetUtcNow(), "sup-1", "/etc/edgeguard/keys/sup-1.pub", "file does not exist")]);
        var second = await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-2"));

        Assert.True(second.Done, second.Detail);
        Assert.Contains("approved by 'sup-2'; a second supervisor must approve", second.Detail, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
    }

    // The documented rotation after a theft: the file is replaced in place by a new key. The
    // stolen key's approval must go with it, or a second supervisor completes the thief's half.
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task An_approval_by_an_operator_whose_key_is_rotated_before_the_second_does_not_lift_the_lockdown()
    {
        var dir = Directory.CreateTempSubdirectory("edgeguard-rotated-key-").FullName;
        try
        {
            var file = WriteKey(dir, "sup-1");
            Assert.Null(OperatorKeyFile.Read("sup-1", file, out var stolen));
            var options = new CommandOptions([new OperatorKey("sup-1", OperatorRole.Supervisor, stolen, [])], TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(15))
            {
                KeyFiles = new Dictionary<string, string>(StringComparer.Ordinal) { ["sup-1"] = file },
            };
            using var keys = new OperatorKeyFiles(
                options, _h.Controller.ReportFromOutside, _h.Controller.WithdrawApprovalOf, _h.Time, NullLogger<OperatorKeyFiles>.Instance);
            await _h.BootAsync();
            await _h.ExecuteAsync(Command(CommandType.Lockdown, "sup-1"));
            Assert.True((await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-1"))).Done);

            WriteKey(dir, "sup-1");
            keys.Recheck();
            var second = await _h.ExecuteAsync(Command(CommandType.AllClear, "sup-2"));

            Assert.True(second.Done, second.Detail);
            Assert.Contains("approved by 'sup-2'; a second supervisor must approve", second.Detail, StringComparison.Ordinal);
            Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_done_answer_says_so_when_the_state_could_not_be_saved_or_a_lock_does_not_show_it()
    {
        var flaky = new FlakyOutputLines { FailingWrite = "lock" };
        var store = new ThrowingStore();
        await using var h = new ControllerHarness(Site, _ => store, outputs: flaky.Around);
        await h.BootAsync();
        store.Failing = true;

        var locked = await h.ExecuteAsync(Command(CommandType.Lockdown, "sup-1", h));

        Assert.True(locked.Done, locked.Detail);
        Assert.Contains("but the site's current state is not saved yet (fault.safety-state-not-persisted)", locked.Detail, StringComparison.Ordinal);
        Assert.Contains("but 'lock' does not show it (fault.output)", locked.Detail, StringComparison.Ordinal);
        Assert.True(h.Driver.GetOutputLevel(11), "the siren, which did not fail, sounds");

        // Both mended and retried: the next answer has nothing to add.
        store.Failing = false;
        flaky.FailingWrite = null;
        h.Time.Advance(SiteController.SafetySaveRetryInterval + TimeSpan.FromMilliseconds(1));
        await h.SettleAsync();
        // The retries did it, not the next command's own save and reconcile.
        Assert.Single(h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
        Assert.Single(h.Events.Events.OfType<OutputFaultRestored>());
        Assert.True(h.Driver.GetOutputLevel(10));
        var first = await h.ExecuteAsync(Command(CommandType.AllClear, "sup-1", h));
        Assert.True(first.Done, first.Detail);
        Assert.DoesNotContain("but", first.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_done_answer_says_the_state_is_still_being_saved_while_its_save_is_only_late()
    {
        var store = new GatedStore();
        await using var h = new ControllerHarness(Site, _ => store);
        try
        {
            await h.BootAsync();
            store.Hold = true;

            var answer = h.Controller.ExecuteAsync(Command(CommandType.Lockdown, "sup-1", h), CancellationToken.None);
            Assert.True(store.HeldSaveStarted.Wait(TimeSpan.FromSeconds(60)), "the lockdown was never saved");
            h.Time.Advance(SiteController.SafetySaveDeadline);
            var locked = await answer.WaitAsync(TimeSpan.FromSeconds(30));

            // Not "not saved": nothing failed, and no fault says so; but not "saved" either.
            Assert.True(locked.Done, locked.Detail);
            Assert.True(h.Driver.GetOutputLevel(10), "the lock is driven by the time the office hears 'done'");
            Assert.DoesNotContain("not saved", locked.Detail, StringComparison.Ordinal);
            Assert.Contains(
                "; the site's current state is still being saved (a slow disk): a power cut before that save ends would "
                + "restore an older one; fault.safety-state-not-persisted follows if it has not ended within 2000 ms",
                locked.Detail,
                StringComparison.Ordinal);
            Assert.Empty(h.Events.Events.OfType<SafetyStateNotPersisted>());

            // The save ends: the next answer has nothing to add.
            store.Hold = false;
            store.Gate.Set();
            Assert.True(await store.Ended.WaitAsync(TimeSpan.FromSeconds(60)), "the held save never ended");
            var waiting = System.Diagnostics.Stopwatch.StartNew();
            while (!h.Controller.SafetySaverIdle && waiting.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(5);
            }

            await h.SettleAsync();
            var first = await h.ExecuteAsync(Command(CommandType.AllClear, "sup-1", h));
            Assert.True(first.Done, first.Detail);
            Assert.DoesNotContain("saved", first.Detail, StringComparison.Ordinal);
        }
        finally
        {
            store.Gate.Set();
        }
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    // Mode 0644 as provisioning installs it: the key file reader refuses one others may write.
    [UnsupportedOSPlatform("windows")]
    private static string WriteKey(string dir, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(dir, $"{name}.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    private sealed class ThrowingStore : ISafetyStateStore
    {
        public bool Failing { get; set; }

        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state)
        {
            if (Failing)
            {
                throw new IOException("disk I/O error");
            }
        }
    }

    private sealed class ListStore(List<SafetyState> saved) : ISafetyStateStore
    {
        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state) => saved.Add(state);
    }
}
