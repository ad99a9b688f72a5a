using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>
/// The verifier when the replay store does not answer in time (an SD card hung in fsync): an
/// authentic, permitted lockdown is handed back, kept in memory; every check still runs first,
/// and anything else still throws (the handler refuses it <c>unavailable</c>).
/// </summary>
public sealed class UnrecordedLockdownTests : IDisposable
{
    private static readonly DateTimeOffset Now = CommandKit.Now;

    private readonly CommandKit _kit = new();
    private readonly HungStore _store = new();
    private readonly CommandVerifier _verifier;

    public UnrecordedLockdownTests() => _verifier = new CommandVerifier(_kit.Keys, _store, _kit.Options, new UnrecordedCommands(TimeProvider.System));

    public void Dispose() => _kit.Dispose();

    [Fact]
    public void An_authentic_lockdown_is_handed_back_unrecorded_and_a_copy_is_answered_from_memory()
    {
        var payload = _kit.Signed(CommandType.Lockdown);

        var verdict = _verifier.Verify(payload, false, Now);

        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.True(verdict.Unrecorded);
        Assert.IsType<TimeoutException>(verdict.StoreFailure!.InnerException);
        Assert.Equal(1, _verifier.Unrecorded.Count);

        // Queued, then executed and finished: copies are told so, never handed back as new.
        Assert.True(_verifier.Verify(payload, false, Now).Unfinished);
        _verifier.Start(verdict.CommandId);
        Assert.True(_verifier.Verify(payload, false, Now).Started);
        _verifier.Finish(verdict.CommandId, new CommandFinal(true, "lockdown running"));
        var copy = _verifier.Verify(payload, false, Now);
        Assert.Null(copy.Command);
        Assert.Equal((true, "lockdown running"), (copy.Repeat!.Final.Done, copy.Repeat.Final.Reason));
        Assert.Equal(1, _store.Calls); // only the first asked the hung store: the rest, memory

        // The store answers again: the finished lockdown is handed over with its result.
        _store.Hung = false;
        Assert.Equal(1, _verifier.HandOverUnrecorded(Now));
        Assert.Equal(0, _verifier.Unrecorded.Count);
        Assert.Equal(SeenStatus.Finished, _store.Inner.Record(verdict.CommandId, System.Security.Cryptography.SHA256.HashData(payload), new ReplayWindow(Now, Now.AddMinutes(1)), Now).Status);
    }

    [Theory]
    [InlineData(CommandType.AllClear, "sup.jones")]
    [InlineData(CommandType.Evacuate, "sup.jones")]
    [InlineData(CommandType.Bypass, "tech.lee")]
    [InlineData(CommandType.Lockdown, "tech.lee")]
    public void Anything_else_throws_as_before(CommandType type, string op)
    {
        var args = type == CommandType.Bypass
            ? CommandKit.Args(("point", new JsonStringItem("door-1")), ("until", new JsonStringItem(WireTime.Format(Now.AddHours(1)))))
            : null;

        Assert.Throws<InvalidOperationException>(() => _verifier.Verify(_kit.Signed(type, op, args), false, Now));
        Assert.Equal(0, _verifier.Unrecorded.Count);
    }

    [Theory]
    [InlineData(CommandType.Lockdown, "sup.jones", 300)]
    [InlineData(CommandType.AllClear, "sup.jones", null)]
    [InlineData(CommandType.Evacuate, "sup.jones", null)]
    [InlineData(CommandType.Lockdown, "tech.lee", null)]
    public void Only_a_permitted_lockdown_is_recorded_within_the_wait_given(CommandType type, string op, int? expectedMs)
    {
        // The handler's recording deadline: a lockdown the office may send waits at most what is
        // left of it; any other command (a technician's lockdown too, refused anyway) the store's
        // own bound, as before.
        _store.Hung = false;

        _verifier.Verify(_kit.Signed(type, op), false, Now, TimeSpan.FromMilliseconds(300));

        Assert.Equal([expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null], _store.Waits);
    }

    [Fact]
    public void A_lockdown_is_recorded_with_the_stores_own_bound_when_no_wait_is_given()
    {
        _store.Hung = false;

        _verifier.Verify(_kit.Signed(CommandType.Lockdown), false, Now);

        Assert.Equal([null], _store.Waits);
    }

    [Fact]
    public void A_forged_lockdown_is_refused_for_its_signature_before_the_store_is_asked()
    {
        var forged = CommandKit.Signed(_kit.Stranger, CommandKit.Unsigned(CommandType.Lockdown, "sup.jones"));

        var verdict = _verifier.Verify(forged, false, Now);

        Assert.Equal(CommandRejection.BadSignature, verdict.Rejection);
        Assert.False(verdict.Unrecorded);
        Assert.Equal(0, _store.Calls);
    }

    [Fact]
    public void A_store_that_fails_rather_than_hangs_refuses_a_lockdown_too()
    {
        _store.Failure = () => new InvalidOperationException("disk I/O error");

        Assert.Throws<InvalidOperationException>(() => _verifier.Verify(_kit.Signed(CommandType.Lockdown), false, Now));
        Assert.Equal(0, _verifier.Unrecorded.Count);
    }

    [Fact]
    public void An_id_the_hung_store_holds_is_answered_from_its_row_never_kept_in_memory()
    {
        // Done before the stall: a copy read from the store's committed row is a repeat, not new.
        _store.Hung = false;
        var payload = _kit.Signed(CommandType.Lockdown);
        var first = _verifier.Verify(payload, false, Now);
        _verifier.Start(first.CommandId);
        _verifier.Finish(first.CommandId, new CommandFinal(true, "lockdown running"));
        _store.Hung = true;

        var copy = _verifier.Verify(payload, false, Now);

        Assert.Null(copy.Command);
        Assert.Equal(new CommandFinal(true, "lockdown running"), copy.Repeat!.Final);
        Assert.False(copy.Unrecorded);
        Assert.Equal(0, _verifier.Unrecorded.Count);
    }

    [Fact]
    public void A_lockdown_is_refused_when_the_hung_store_cannot_be_read_either()
    {
        _store.FindFailure = () => new InvalidOperationException("database is locked");

        Assert.Throws<InvalidOperationException>(() => _verifier.Verify(_kit.Signed(CommandType.Lockdown), false, Now));
        Assert.Equal(0, _verifier.Unrecorded.Count);
    }

    [Fact]
    public void The_hand_over_writes_the_final_over_a_started_row_too()
    {
        // The store marked it started; memory holds its final: the row must not stay "started"
        // (a copy after a restart would be told "interrupted" for a lockdown that was done).
        var payload = _kit.Signed(CommandType.Lockdown);
        var hash = System.Security.Cryptography.SHA256.HashData(payload);
        var window = new ReplayWindow(Now.AddMinutes(-1), Now.AddMinutes(2));
        _store.Inner.Record("c-1", hash, window, Now);
        _store.Inner.Start("c-1");
        Assert.True(_verifier.Unrecorded.TryAdd("c-1", hash, window, Now));
        _verifier.Finish("c-1", new CommandFinal(true, "lockdown running"));
        _store.Hung = false;

        Assert.Equal(1, _verifier.HandOverUnrecorded(Now));

        var row = _store.Inner.Find("c-1", hash);
        Assert.Equal(SeenStatus.Finished, row?.Status);
        Assert.Equal(new CommandFinal(true, "lockdown running"), row?.Final);
    }

    /// <summary>A replay store whose bounded wait runs out (an error caused by a timeout) while <see cref="Hung"/>.</summary>
    private sealed class HungStore : ISeenCommandIds
    {
        public InMemorySeenCommandIds Inner { get; } = new();

        public bool Hung { get; set; } = true;

        public int Calls { get; private set; }

        public Func<Exception> Failure { get; set; } = () => new InvalidOperationException("busy", new TimeoutException("busy"));

        // The bound of each record, in order: null for the store's own.
        public List<TimeSpan?> Waits { get; } = [];

        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null)
        {
            Calls++;
            Waits.Add(null);
            return Hung ? throw Failure() : Inner.Record(id, payloadHash, window, now, final);
        }

        public SeenCommand RecordWithin(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, TimeSpan wait)
        {
            Calls++;
            Waits.Add(wait);
            return Hung ? throw Failure() : Inner.Record(id, payloadHash, window, now);
        }

        public void Start(string id)
        {
            ThrowIfHung();
            Inner.Start(id);
        }

        public void Finish(string id, CommandFinal final)
        {
            ThrowIfHung();
            Inner.Finish(id, final);
        }

        // A read on a connection of its own: answers while the writer hangs, unless told otherwise.
        public Func<Exception>? FindFailure { get; set; }

        public SeenCommand? Find(string id, byte[] payloadHash) =>
            FindFailure is { } failure ? throw failure() : Inner.Find(id, payloadHash);

        private void ThrowIfHung()
        {
            if (Hung)
            {
                throw Failure();
            }
        }
    }
}
