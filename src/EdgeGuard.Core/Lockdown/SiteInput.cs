namespace EdgeGuard.Core.Lockdown;

/// <summary>Something the controller decides on. Commands from the office join later as another kind.</summary>
public abstract record SiteInput;

/// <summary>A point's filtered state changed.</summary>
public sealed record PointChanged(string PointId, bool Active) : SiteInput;

/// <summary>Time passed: timers (siren) are checked.</summary>
public sealed record TimerTick : SiteInput
{
    /// <summary>The one tick value; it carries no data because time comes with every decision.</summary>
    public static TimerTick Instance { get; } = new();
}
