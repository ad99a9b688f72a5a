using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

/// <summary>
/// What became of a save the controller waited for (<see cref="SafetyStateSaver.Save"/>).
/// </summary>
/// <param name="Failure">Null once the state is saved; else why not, or why not yet.</param>
/// <param name="RunningSince">
/// Not known yet: the save in the way (this one, past its deadline, or an earlier one this state
/// waits behind) still runs, handed to the thread at this timestamp on the clock. Null when the
/// outcome is known.
/// </param>
internal readonly record struct SaveOutcome(string? Failure, long? RunningSince);

/// <summary>What became of the boot's load (<see cref="SafetyStateSaver.LoadAsync"/>).</summary>
/// <param name="Loaded">The state read; null when it was not (yet).</param>
/// <param name="Failure">Why not: what the store threw, the last time if it was tried again.</param>
/// <param name="Tries">How many times the load was started.</param>
/// <param name="TimedOut">The deadline passed first: the load goes on, abandoned.</param>
internal readonly record struct LoadOutcome(SafetyState? Loaded, Exception? Failure, int Tries, bool TimedOut);
