using System.Globalization;
using EdgeGuard.Hosting;

namespace EdgeGuard.Cli;

// The first try at the gateway lock in the state directory, bounded as the journal's open is
// (JournalOpener.Attempt): creating the directory, opening the lock file and writing the pid file
// all touch the card, and a card that does not answer held the start until systemd killed it, then
// restarted and rebooted the gateway: the loop the volatile fallback was made to end. It runs on a
// thread of its own; at the deadline `run` takes the lock in the fallback directory instead.
//
// An attempt given up on that takes the lock later lets it go at once: kept, it would be held by
// no one's decision, on a directory the gateway does not use this run (its journal is in the
// fallback directory too), until the process ends. Let go, the state directory is as when it
// cannot be created; a walk test started later still finds this gateway's lock in the fallback
// directory and refuses (WalkTestVerb.TakeFallbackLock). The process ending drops any flock
// anyway, so nothing it does can block the next start.
internal sealed class StateLockAttempt
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<GatewayLock?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _abandoned;

    /// <summary>
    /// Creates <paramref name="directory"/> and takes the lock there without waiting, for at most
    /// <paramref name="deadline"/>.
    /// </summary>
    /// <returns>The lock; null when another holder has it (a walk test: the caller waits).</returns>
    /// <exception cref="TimeoutException">The directory did not answer within the deadline.</exception>
    /// <exception cref="IOException">The directory or the lock file cannot be created or opened.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission there.</exception>
    public static async Task<GatewayLock?> RunAsync(string directory, TimeSpan deadline, LockFileOpener open, CancellationToken ct)
    {
        var attempt = new StateLockAttempt();
        var thread = new Thread(() => attempt.Work(directory, open)) { IsBackground = true, Name = "EdgeGuard state lock" };
        thread.Start();
        try
        {
            return await attempt._done.Task.WaitAsync(deadline, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (attempt._gate)
            {
                // Work completes the task under the gate: what is not complete now never will be.
                // Decided here, not in the filter: a lock taken between the wait's end and the
                // filter was left held by no one, with the gateway on the fallback directory.
                attempt._abandoned = !attempt._done.Task.IsCompleted;
            }

            if (!attempt._abandoned)
            {
                return await attempt._done.Task.ConfigureAwait(false);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"it did not answer within {deadline.TotalSeconds:0.#} s (the storage does not answer)"), ex);
        }
    }

    private void Work(string directory, LockFileOpener open)
    {
        GatewayLock? taken = null;
        Exception? failure = null;
        try
        {
            Directory.CreateDirectory(directory);
            taken = GatewayLock.Acquire(directory, open, goOnWithoutFile: true);
        }
        catch (GatewayLockedException)
        {
            // Held by a walk test or another gateway: the card answered; the caller waits for it.
        }
#pragma warning disable CA1031 // Whatever it throws is the caller's to handle, as when it ran inline.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        lock (_gate)
        {
            if (_abandoned)
            {
                taken?.Dispose(); // see the file's comment
            }
            else if (failure is not null)
            {
                _done.SetException(failure);
            }
            else
            {
                _done.SetResult(taken);
            }
        }
    }
}
