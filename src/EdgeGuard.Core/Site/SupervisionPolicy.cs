namespace EdgeGuard.Core.Site;

/// <summary>
/// When an input counts as chattering and when it counts as settled again (config section
/// <c>supervision</c>). Stuck-point times are per point: <see cref="PointDefinition.StuckAfter"/>.
/// </summary>
/// <param name="ChatterTransitions">Filtered transitions within <paramref name="ChatterWindow"/> that make a point chatter; 0 turns chatter detection off.</param>
/// <param name="ChatterWindow">The sliding window the transitions are counted in.</param>
/// <param name="SettleTime">How long a chattering point must stay without a transition before it counts as settled.</param>
public sealed record SupervisionPolicy(int ChatterTransitions, TimeSpan ChatterWindow, TimeSpan SettleTime)
{
    /// <summary>
    /// 8 transitions in 10 s, settled after 30 s quiet. A door used normally changes twice per
    /// passage, so 8 in 10 s is four passages in ten seconds, which people do not do through one
    /// door; a fence sensor in gusting wind or a loose terminal does it easily.
    /// </summary>
    public static SupervisionPolicy Default { get; } = new(8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));

    /// <summary>
    /// False when chatter detection is off (<see cref="ChatterTransitions"/> 0): for load tests and
    /// benchmarks that drive one contact thousands of times a second on purpose.
    /// </summary>
    public bool DetectsChatter => ChatterTransitions > 0;

    /// <summary>
    /// How long a suppressed point's level must hold before it goes on to the decider anyway
    /// (<c>supervision.holdSeconds</c>; 3 s by default). Chatter is flaps; a door forced open, a
    /// fence climbed or a PIR that stays active holds its level, and must not wait for the settle
    /// time, nor be lost when the point settles back where it was. Shorter flaps stay withheld, so
    /// a chattering point is still one fault, not an alarm per flap.
    /// </summary>
    public TimeSpan HoldTime { get; init; } = TimeSpan.FromSeconds(3);
}
