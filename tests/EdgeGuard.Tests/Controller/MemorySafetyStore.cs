using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>A safety-state store in memory, for controller tests that are not about persistence.</summary>
internal sealed class MemorySafetyStore : ISafetyStateStore
{
    private SafetyState _state = SafetyState.Initial;

    public SafetyState Load() => _state;

    public void Save(SafetyState state) => _state = state;
}
