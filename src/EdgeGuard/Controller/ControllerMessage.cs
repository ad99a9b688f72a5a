using EdgeGuard.Core.Ports;

namespace EdgeGuard.Controller;

/// <summary>What travels through the controller's one channel.</summary>
internal abstract record ControllerMessage;

/// <summary>A raw edge from a GPIO callback, not yet filtered.</summary>
internal sealed record EdgeMessage(RawEdge Edge) : ControllerMessage;

/// <summary>
/// Facts found outside the loop (I/O board supervision: loop tamper, a chip not answering), reported
/// by the loop so every event leaves the gateway in one order, after <c>gateway.started</c>.
/// </summary>
internal sealed record ReportMessage(IReadOnlyList<Core.Lockdown.DomainEvent> Events) : ControllerMessage;

/// <summary>
/// An operator's key file now holds a new key (OperatorKeyFiles' re-check): a rotation, as after
/// a theft. Their pending all-clear approval is dropped, since the replaced key may have signed it.
/// </summary>
internal sealed record KeyRotatedMessage(string Operator) : ControllerMessage;

/// <summary>A verified office command, and where to answer once the loop has decided on it.</summary>
internal sealed record CommandMessage(Core.Lockdown.OfficeCommandInput Command, TaskCompletionSource<CommandOutcome> Outcome) : ControllerMessage;

/// <summary>What the controller made of a verified office command.</summary>
/// <param name="Done">True when it was carried out (or counted, for a first all-clear approval).</param>
/// <param name="Detail">What happened, or why it was refused.</param>
public sealed record CommandOutcome(bool Done, string Detail);

/// <summary>
/// The watchdog asking "are you still turning?": completed by the loop when it reaches this message,
/// i.e. after everything queued before it was decided, driven and reported.
/// </summary>
internal sealed record HeartbeatMessage(TaskCompletionSource Answered) : ControllerMessage;

/// <summary>
/// A decision an edge handled on its GPIO thread led to that changes the safety state: its
/// durable save, and so the decision itself, is left to the loop (SiteController.Inline.cs). So is
/// every later decision of that edge, behind it.
/// </summary>
/// <param name="Input">The input to decide on.</param>
/// <param name="At">When the edge was handled; the loop decides as of then.</param>
/// <param name="Earlier">Events already found while handling the edge, reported ahead of the decision's.</param>
internal sealed record DeferredDecision(Core.Lockdown.SiteInput Input, Core.Moment At, IReadOnlyList<Core.Lockdown.DomainEvent> Earlier) : ControllerMessage;

/// <summary>Wakes the loop for the <see cref="DeferredDecision"/>s waiting in its queue; nothing to handle itself.</summary>
internal sealed record WakeMessage : ControllerMessage
{
    public static WakeMessage Instance { get; } = new();
}

/// <summary>
/// An output writer (an expander's) finished an attempt: the loop looks at what the lines now show, so a
/// failure is reported and a line that took the plan is known to, without waiting for the retry timer.
/// </summary>
internal sealed record OutputsApplied : ControllerMessage
{
    public static OutputsApplied Instance { get; } = new();
}

/// <summary>
/// A safety-state save the loop stopped waiting for (it passed its deadline) has ended: the loop
/// hands the saver its latest state without waiting, unless that one was what the save wrote
/// (SiteController.Persistence.cs).
/// </summary>
internal sealed record SafetySaveEnded : ControllerMessage
{
    public static SafetySaveEnded Instance { get; } = new();
}

/// <summary>A filter or site timer is due; <paramref name="Fired"/> is the timestamp (of the loop's <see cref="TimeProvider"/>) at which its callback ran.</summary>
internal sealed record TimerMessage(long Fired) : ControllerMessage;

/// <summary>
/// Creates the output lines named in <paramref name="initialHigh"/>, each at the level it must
/// have from the first instant, and only those: the controller may open some outputs first (the
/// native egress locks, released for a fire found before the saved state is loaded) and the rest
/// in a second call, never one output twice.
/// </summary>
/// <param name="initialHigh">The outputs to open, each at its boot level, by id.</param>
/// <param name="last">
/// Whether this call opens the last outputs the controller opens (it may name none). An I/O
/// board's expanders are configured on it, every one, with their outputs at these levels: an
/// expander carrying only inputs too, whose inputs cannot be read until it is. False only for the
/// native egress locks opened before the saved state is loaded, whose call names no expander.
/// </param>
public delegate IOutputLines OutputLinesFactory(IReadOnlyDictionary<string, bool> initialHigh, bool last = true);
