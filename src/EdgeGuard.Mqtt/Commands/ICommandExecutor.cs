using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>What the site made of a verified command.</summary>
/// <param name="Done">
/// True: it took effect, or was counted (the first of two all-clear approvals); published as result
/// <c>done</c>. False: the site refused it; published as <c>rejected</c>.
/// </param>
/// <param name="Detail">What happened or why it was refused; the result's <c>reason</c>.</param>
public sealed record CommandExecution(bool Done, string? Detail);

/// <summary>
/// Hands a verified command to whatever acts on it (the controller). The MQTT side owns this small
/// port so it needs no reference to the host; the host adapts the controller to it.
/// </summary>
public interface ICommandExecutor
{
    /// <summary>Acts on <paramref name="command"/> and reports the outcome; completes when it has taken effect or was refused.</summary>
    Task<CommandExecution> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken);
}
