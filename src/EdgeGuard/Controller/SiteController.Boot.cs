using System.Globalization;
using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Reading the saved safety state at boot. A state that cannot be read (a damaged row) or is not
// read in time (a hung SD card) used to fail the start before any output was opened: systemd
// restarted the gateway forever, and no input was ever decided (a panic locked nothing, a fire
// released no egress). Now the gateway boots in the initial state, decides its inputs as usual,
// and journals fault.safety-state-unreadable so the office can re-issue a lockdown it lost; and
// again, with what it held, if the state is read after all once the boot gave up on it.
public sealed partial class SiteController
{
    /// <summary>
    /// What <see cref="BootLoadDeadline"/> allows the read beyond the store's longest wait for the
    /// journal's other writers: one small row, from a card that may just have come back from a
    /// power cut (cold cache). Milliseconds on a healthy card; four seconds is far beyond a slow
    /// one.
    /// </summary>
    public static readonly TimeSpan BootLoadMargin = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long the boot waits for the saved safety state before it boots without it: the read
    /// waits for the journal's other writers as a save does (at most
    /// <see cref="SqliteSafetyStateStore.MaxSaveWait"/>, 1 s) and <see cref="BootLoadMargin"/> for
    /// itself: 5 s. Generous, because giving up drops a lockdown in force before the restart; and
    /// cheap, because after a power cut the outputs were undriven through the whole OS boot (tens
    /// of seconds) already. Far inside systemd's TimeoutStartSec=90s, so a hung card no longer
    /// holds the start until systemd kills it, with every output undriven.
    /// </summary>
    public static readonly TimeSpan BootLoadDeadline = SqliteSafetyStateStore.MaxSaveWait + BootLoadMargin;

    /// <summary>
    /// Loads the saved safety state on the saver's thread, waiting at most
    /// <see cref="BootLoadDeadline"/>. A failure that may pass (the database busy, an I/O error:
    /// <see cref="SqliteSafetyStateStore.IsPassingLoadFailure"/>) is tried again within it; a
    /// damaged row is final at once. A load still running then goes on alone, and no save starts
    /// until it ended (SafetyStateSaver): the first decision that saves waits behind it like
    /// behind a hung save. What it reads when it ends is not applied (the gateway has been deciding
    /// from the initial state since), but the office is told (<see cref="LateLoadEnded"/>).
    /// </summary>
    /// <returns>
    /// The state to boot from, and null; or the initial state and what was wrong with the saved
    /// one.
    /// </returns>
    private async Task<(SafetyState Safety, string? Unreadable)> LoadSafetyStateAsync(CancellationToken cancellationToken)
    {
        var load = await _saver.LoadAsync(BootLoadDeadline, SqliteSafetyStateStore.IsPassingLoadFailure, cancellationToken).ConfigureAwait(false);
        if (load.Loaded is { } loaded)
        {
            return (loaded, null);
        }

        var problem = load switch
        {
            // Tried again (or still being tried) until the bound: a failure that did not pass.
            { Failure: { } failure } when load.Tries > 1 || load.TimedOut => string.Create(CultureInfo.InvariantCulture,
                $"The saved safety state could not be read within {BootLoadDeadline.TotalSeconds:0} s ({load.Tries} tries): {failure.Message}"),
            { Failure: { } failure } => $"The saved safety state could not be read: {failure.Message}",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"The saved safety state was not read within {BootLoadDeadline.TotalSeconds:0} s (the disk did not answer)"),
        };
        LogUnreadable(problem);
        return (SafetyState.Initial, problem);
    }

    /// <summary>
    /// The boot's load, given up on, has ended (on the loop, from OnAbandonedSaveEnded). What it
    /// read is not applied: outputs and decisions have followed the initial state since, and
    /// switching now would override what people were told. But a state other than the initial one
    /// (a lockdown, a fire release, suspended scenarios) was in force before the restart, and the
    /// next save overwrites its row: the office is told what it was, so it re-issues it, instead
    /// of only that one "may have been lost".
    /// </summary>
    private void LateLoadEnded(SafetyState? loaded, Exception? failure, TimeSpan took, DateTimeOffset now, List<DomainEvent> events)
    {
        if (loaded is null)
        {
            LogLateLoadFailed(took.TotalMilliseconds, failure?.Message);
            return;
        }

        LogLateLoadRead(took.TotalMilliseconds, loaded.Mode, loaded.Lockdown?.Cause, loaded.Lockdown?.Since, loaded.LifeSafety);
        if (loaded.Equals(SafetyState.Initial))
        {
            return;
        }

        var held = new StringBuilder().Append(CultureInfo.InvariantCulture, $"mode {ScenarioWire.Mode(loaded.Mode)}");
        if (loaded.Lockdown is { } scenario)
        {
            held.Append(CultureInfo.InvariantCulture, $" (scenario {scenario.Scenario}{(scenario.Drill ? ", a drill" : string.Empty)}), cause '{scenario.Cause}'");
            held.Append(scenario.Point is { } point ? $" at point {point}" : string.Empty);
            held.Append(CultureInfo.InvariantCulture, $" since {scenario.Since:O}");
        }

        held.Append(loaded.LifeSafety == LifeSafety.FireEgressReleased ? ", egress released for a fire" : ", no fire release");
        if (loaded.SuspendedScenarios.Count > 0)
        {
            held.Append(CultureInfo.InvariantCulture, $", {loaded.SuspendedScenarios.Count} suspended scenario(s): ");
            held.AppendJoin(", ", loaded.SuspendedScenarios.Select(s => $"{s.Info.Scenario} ({ScenarioWire.Mode(s.Mode)})"));
        }

        events.Add(new SafetyStateUnreadable(now, string.Create(CultureInfo.InvariantCulture,
            $"The saved safety state was read late (after {took.TotalSeconds:0.0} s, past the {BootLoadDeadline.TotalSeconds:0} s boot bound) and not applied: it held {held}."))
        {
            ReadLate = true,
        });
    }

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "Booting in normal mode (outputs at that plan, inputs decided as usual); a lockdown in force before the restart may have been lost (fault.safety-state-unreadable). {Problem}")]
    private partial void LogUnreadable(string problem);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The boot's read of the safety state ended after {TookMs} ms, after the gateway booted without it; ignored: it held mode={Mode} cause={Cause} since={Since} lifeSafety={LifeSafety}")]
    private partial void LogLateLoadRead(double tookMs, SiteMode mode, string? cause, DateTimeOffset? since, LifeSafety lifeSafety);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "The boot's read of the safety state ended after {TookMs} ms, after the gateway booted without it; it failed too: {Failure}")]
    private partial void LogLateLoadFailed(double tookMs, string? failure);
}
