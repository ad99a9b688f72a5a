using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Controller;

/// <summary>
/// The one thread that calls <see cref="ISafetyStateStore.Save"/>, and at boot
/// <see cref="ISafetyStateStore.Load"/>. The controller hands it a state and waits for the save at
/// most a deadline; a save that outlives its deadline (an fsync a dying SD card never answers)
/// goes on here, alone: no second save starts until it ended, so two saves never race to the row
/// and a hung disk is not handed one save per retry. The boot's load is one more such attempt: a
/// load the boot stopped waiting for holds back every save until it ended, as a hung save does,
/// and then until the controller took what it read (<see cref="TakeAbandonedLoad"/>), so the row
/// still holds the late read when the controller decides whether to put it back.
/// When an attempt the controller gave up on ends, <c>ended</c> is called (from this thread) so
/// the controller saves its latest state.
/// </summary>
/// <remarks>
/// A dedicated thread, not the thread pool: a save must not wait for a pool thread to come free,
/// and a hung one must not take a pool thread for good. The hop costs the saving decision two
/// thread wake-ups (tens of microseconds), next to a commit that fsyncs (milliseconds on an SD
/// card).
/// </remarks>
internal sealed partial class SafetyStateSaver : IDisposable
{
    /// <summary>
    /// How often a waiting caller looks at its <see cref="TimeProvider"/>: the deadline is measured
    /// on the controller's clock (a test's fake one included), which cannot wake a waiter by
    /// itself.
    /// </summary>
    private static readonly TimeSpan ClockPoll = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The pause, in real time, before the boot's load is tried again after a failure that may
    /// pass: the journal's writer holds the database for milliseconds at a time, and 50 tries
    /// within the 5 s the boot waits do not keep a struggling card busy.
    /// </summary>
    internal static readonly TimeSpan LoadRetryPause = TimeSpan.FromMilliseconds(100);

    private readonly ISafetyStateStore _store;
    private readonly TimeProvider _time;
    private readonly Action _ended;
    // An object, not a Lock: the thread waits for work with Monitor.Wait on it.
    private readonly object _gate = new();
    private Attempt? _current;
    private (SafetyState State, Exception? Failure, TimeSpan Took)? _lastAbandoned;
    private (SafetyState? Loaded, Exception? Failure, TimeSpan Took)? _abandonedLoad;
    // The state of the last save that took: what the row holds, as only this thread writes it.
    private SafetyState? _landed;
    private long _abandonedLoadEnded;
    private bool _disposed;

    /// <param name="store">Where the safety state is saved.</param>
    /// <param name="time">The clock deadlines are measured on.</param>
    /// <param name="ended">Called when a save its caller stopped waiting for has ended.</param>
    public SafetyStateSaver(ISafetyStateStore store, TimeProvider time, Action ended)
    {
        _store = store;
        _time = time;
        _ended = ended;
        // Background: a save hung in the kernel must not keep the process from exiting.
        new Thread(Run) { IsBackground = true, Name = "edgeguard-safety-save" }.Start();
    }

    /// <summary>
    /// The last save that ended after its caller stopped waiting: its state, null if it was saved
    /// or why not, and how long it ran (on the clock). Null until one has; read by the controller
    /// when <c>ended</c> woke it.
    /// </summary>
    public (SafetyState State, Exception? Failure, TimeSpan Took)? LastAbandoned
    {
        // Under the gate: a struct of several words, which a read racing the saver's write could
        // tear (a failed save read as a successful one would stop the retries).
        get
        {
            lock (_gate)
            {
                return _lastAbandoned;
            }
        }
    }

    /// <summary>
    /// The boot's load, if the boot stopped waiting for it and it has ended since: what it read,
    /// or why not, and how long it ran. Handed out once (then null). Until it is, no save is
    /// handed to the thread (<see cref="Save"/>): the controller decides on what the load read
    /// while the row still holds it.
    /// </summary>
    public (SafetyState? Loaded, Exception? Failure, TimeSpan Took)? TakeAbandonedLoad()
    {
        lock (_gate)
        {
            var load = _abandonedLoad;
            _abandonedLoad = null;
            return load;
        }
    }

    /// <summary>
    /// A save is running: the one the caller stopped waiting for, as no other starts meanwhile.
    /// False once it ended, though the loop may not have taken its end yet.
    /// </summary>
    public bool Saving
    {
        get
        {
            lock (_gate)
            {
                return _current is { Ended: false };
            }
        }
    }

    /// <summary>
    /// No save is running, and the end of the last one, if its caller stopped waiting for it, was
    /// handed to <c>ended</c>; for tests, which wait for it before they look at what followed.
    /// </summary>
    internal bool Idle
    {
        get
        {
            lock (_gate)
            {
                return _current is null or { Ended: true, Reported: true };
            }
        }
    }

    /// <summary>
    /// Saves <paramref name="state"/> unless a save is still running, or the boot's load, given up
    /// on, has ended and the controller has not yet taken what it read (its end is queued to the
    /// loop, which saves the latest state once it has); and waits for it at most
    /// <paramref name="deadline"/> on the clock. A state the last save that took was of (the
    /// same instance) is on disk already: saved, with no second save.
    /// </summary>
    /// <param name="state">The state to save.</param>
    /// <param name="turnWait">How long a save still running is waited for (zero: not at all).</param>
    /// <param name="deadline">How long to wait in all, from this call, the turn included.</param>
    /// <returns>
    /// Saved, failed (the store threw, or the saver is shut), or not known yet: a save still runs,
    /// this one past the deadline or an earlier one this state waits behind, or a late read not
    /// yet taken (since its end).
    /// </returns>
    public SaveOutcome Save(SafetyState state, TimeSpan turnWait, TimeSpan deadline)
    {
        var start = _time.GetTimestamp();
        var running = Running();
        if (running is not null && !WaitFor(running, start, turnWait < deadline ? turnWait : deadline))
        {
            return new SaveOutcome(
                running.IsLoad
                    ? "the disk has not finished reading the safety state at boot; this state is saved once that read ends"
                    : "the disk has not finished an earlier save of the safety state; this state is saved once that one ends",
                running.Handed);
        }

        var attempt = new Attempt(state, _time.GetTimestamp());
        lock (_gate)
        {
            if (_disposed)
            {
                // A failure like the disk's, not a throw: the controller reports it and goes on.
                return new SaveOutcome("the gateway is shutting down; the safety state was not saved", null);
            }

            if (ReferenceEquals(_landed, state))
            {
                // On disk already (the late save a stop waited for above): a second save could only
                // fail (the database busy) and raise a critical fault for a durable state.
                return new SaveOutcome(null, null);
            }

            if (_abandonedLoad is not null)
            {
                // A save handed now would overwrite the row the late read came from before the
                // loop decided on it: a lockdown nobody ended was dropped, on the doors and on
                // disk, for a retry of a forced door's save queued ahead of the read's end.
                return new SaveOutcome(
                    "the safety state read at boot has ended but is not yet dealt with; this state is saved once it is",
                    _abandonedLoadEnded);
            }

            _current = attempt;
            Monitor.PulseAll(_gate);
        }

        if (!WaitFor(attempt, start, deadline))
        {
            return new SaveOutcome(
                $"the disk did not finish the save within {deadline.TotalMilliseconds:0} ms; "
                + "outputs were driven without it, and the latest state is saved once that save ends",
                attempt.Handed);
        }

        return new SaveOutcome(attempt.Failure?.Message, null);
    }

    /// <summary>
    /// Loads the saved state on the saver's thread and waits for it at most
    /// <paramref name="deadline"/> on the clock. A failure <paramref name="passing"/> accepts (the
    /// database busy, an I/O error) is tried again there after <see cref="LoadRetryPause"/>, until
    /// the deadline; any other is final at once. Called once, at boot, before any save.
    /// </summary>
    /// <returns>
    /// The state read; or why not (the store threw, its last failure if the deadline passed while
    /// it was tried again); or neither: the load still runs, abandoned, and no save starts until it
    /// ended (its end is handed to <c>ended</c>).
    /// </returns>
    public async Task<LoadOutcome> LoadAsync(TimeSpan deadline, Func<Exception, bool> passing, CancellationToken cancellationToken)
    {
        var attempt = new Attempt(null, _time.GetTimestamp()) { LoadDeadline = deadline, Passing = passing };
        lock (_gate)
        {
            if (_current is { Ended: false } || _disposed)
            {
                throw new InvalidOperationException("The safety state is loaded once, at boot, before any save.");
            }

            _current = attempt;
            Monitor.PulseAll(_gate);
        }

        // Awaited, not blocked on: a test's fake clock is moved by the caller of StartAsync, which
        // a blocked start would never return to.
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(attempt.Done.Task, Task.Delay(deadline, _time, giveUp.Token)).ConfigureAwait(false);
        await giveUp.CancelAsync().ConfigureAwait(false);
        LoadOutcome outcome;
        lock (_gate)
        {
            attempt.Abandoned = !attempt.Ended;
            outcome = attempt.Ended
                ? new LoadOutcome(attempt.Loaded, attempt.Failure, attempt.Tries, TimedOut: false)
                : new LoadOutcome(null, attempt.Failure, attempt.Tries, TimedOut: true);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return outcome;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // Wakes the thread to leave; not joined: a save hung in the kernel may never return.
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private Attempt? Running()
    {
        lock (_gate)
        {
            return _current is { Ended: false } current ? current : null;
        }
    }

    // True when the attempt ended before wait had passed since start; else marks it abandoned (so
    // its end is reported through _ended), unless it ended meanwhile.
    private bool WaitFor(Attempt attempt, long start, TimeSpan wait)
    {
        while (!attempt.Done.Task.IsCompleted)
        {
            if (_time.GetElapsedTime(start) >= wait)
            {
                lock (_gate)
                {
                    if (attempt.Ended)
                    {
                        return true;
                    }

                    attempt.Abandoned = true;
                    return false;
                }
            }

            attempt.Done.Task.Wait(ClockPoll);
        }

        return true;
    }

    private void Run()
    {
        while (true)
        {
            Attempt attempt;
            lock (_gate)
            {
                while (!_disposed && _current is not { Ended: false, Started: false })
                {
                    Monitor.Wait(_gate);
                }

                if (_disposed)
                {
                    return;
                }

                attempt = _current!;
                attempt.Started = true;
            }

            Exception? failure = null;
            SafetyState? loaded = null;
            try
            {
                if (attempt.State is { } state)
                {
                    _store.Save(state);
                }
                else
                {
                    loaded = LoadTryingAgain(attempt);
                }
            }
#pragma warning disable CA1031 // Any failure: the controller handles it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Handed to the controller: a failed save is tried again, a failed load boots
                // degraded.
                failure = ex;
            }

            var took = _time.GetElapsedTime(attempt.Handed);
            bool abandoned;
            lock (_gate)
            {
                attempt.Failure = failure;
                attempt.Loaded = loaded;
                attempt.Ended = true;
                _landed = failure is null && attempt.State is { } written ? written : _landed;
                abandoned = attempt.Abandoned;
                attempt.Reported = !abandoned;
                if (abandoned && attempt.State is { } saved)
                {
                    _lastAbandoned = (saved, failure, took);
                }
                else if (abandoned)
                {
                    _abandonedLoad = (loaded, failure, took);
                    _abandonedLoadEnded = _time.GetTimestamp();
                }
            }

            attempt.Done.TrySetResult();
            if (abandoned)
            {
                _ended();
                lock (_gate)
                {
                    attempt.Reported = true;
                }
            }
        }
    }

    // The boot's load, tried again after a failure that may pass, while the boot still waits for
    // it and the next try can start before its deadline: dropping a lockdown in force for one
    // SQLITE_BUSY was the cost of trying once.
    private SafetyState LoadTryingAgain(Attempt attempt)
    {
        while (true)
        {
            try
            {
                lock (_gate)
                {
                    attempt.Tries++;
                }

                return _store.Load();
            }
            catch (Exception ex) when (attempt.Passing?.Invoke(ex) == true)
            {
                lock (_gate)
                {
                    // Kept for the boot, which may give up while the next try waits or runs.
                    attempt.Failure = ex;
                    if (_disposed || attempt.Abandoned || _time.GetElapsedTime(attempt.Handed) + LoadRetryPause >= attempt.LoadDeadline)
                    {
                        throw;
                    }

                    // On the gate: Dispose wakes it.
                    Monitor.Wait(_gate, LoadRetryPause);
                }
            }
        }
    }
}
