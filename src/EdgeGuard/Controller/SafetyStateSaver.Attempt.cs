using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// What the saver's thread is handed: kept apart from SafetyStateSaver.cs, which is about the
// thread and its callers' waits.
internal sealed partial class SafetyStateSaver
{
    /// <summary>
    /// One save (or the boot's load) handed to the thread; Started, Ended and Abandoned change
    /// under the gate.
    /// </summary>
    private sealed class Attempt(SafetyState? state, long handed)
    {
        /// <summary>The state to save; null for the boot's load.</summary>
        public SafetyState? State { get; } = state;

        public bool IsLoad => State is null;

        /// <summary>What the load read, once it ended without a failure.</summary>
        public SafetyState? Loaded { get; set; }

        /// <summary>When it was handed to the thread, on the clock.</summary>
        public long Handed { get; } = handed;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Failure { get; set; }

        /// <summary>For the boot's load: how long the boot waits, and which failures may pass.</summary>
        public TimeSpan LoadDeadline { get; init; }

        public Func<Exception, bool>? Passing { get; init; }

        /// <summary>How many times the load was started.</summary>
        public int Tries { get; set; }

        public bool Started { get; set; }

        public bool Ended { get; set; }

        public bool Abandoned { get; set; }

        /// <summary>Ended, and if abandoned, its end handed to <c>ended</c>.</summary>
        public bool Reported { get; set; }
    }
}
