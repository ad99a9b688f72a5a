using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>Records where and when each save ran, with the lock line's level then; can hold the saving thread (the loop) until released.</summary>
internal sealed class BlockingStore(SimulatedGpioDriver driver, int lockLine) : ISafetyStateStore
{
    public List<(SafetyState State, bool LockLineWhenSaved, int Thread)> Saves { get; } = [];

    public bool Hold { get; set; }

    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    public SafetyState Load() => SafetyState.Initial;

    public void Save(SafetyState state)
    {
        lock (Saves)
        {
            Saves.Add((state, driver.GetOutputLevel(lockLine), Environment.CurrentManagedThreadId));
        }

        Entered.Set();
        if (Hold)
        {
            Release.Wait(TimeSpan.FromSeconds(30));
        }
    }
}
