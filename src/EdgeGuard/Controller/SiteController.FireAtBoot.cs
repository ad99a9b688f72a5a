using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// A fire already burning when the gateway boots. The outputs are opened at the restored plan before
// any input is read, and the fire was only seen at the settled read, 100 ms later, and driven after
// that read's safety-state save (up to 500 ms more). A restored lockdown covering an egress door, or
// a normally-locked egress door, was therefore energised (locked) for 100-600 ms during a fire:
// after a power cut, a fail-safe egress maglock that had dropped open locked again before it
// released. Life safety beats lockdown, and an egress door must never lock during a fire, so the
// fire inputs are read once, raw, before the outputs are opened, and the egress locks are opened
// released if any reads active. Only the settled read latches the release (FireEgressReleased, its
// event, its save), as before: a boot transient alone must not latch a release until a person
// resets it. A fire the settled read does not confirm released egress for the settle time only,
// and the first reconcile drives the plan again.
public sealed partial class SiteController
{
    /// <summary>
    /// The fire inputs' raw levels before the outputs are opened, or null when none reads active and
    /// none is unreadable (or the site has no egress lock, so there is nothing to release). A fire
    /// input that cannot be read then (an expander pin whose chip was just powered on: it is
    /// configured with its outputs; an ADC that does not answer or whose samples disagree; a read
    /// that throws) counts as active: the rule a dead chip's points follow
    /// (<c>TamperedLoop.ReadsActive</c>). A release wrongly taken costs the settle time with the
    /// egress doors unlocked, as a power cut leaves a fail-safe maglock anyway; one wrongly missed
    /// locks people in a fire.
    /// </summary>
    private (IReadOnlyList<string> Active, IReadOnlyList<string> Unread)? FireBeforeOutputs()
    {
        if (!site.Outputs.Any(o => o is { Kind: OutputKind.Lock, Egress: true }))
        {
            return null;
        }

        List<string>? active = null;
        List<string>? unread = null;
        foreach (var point in site.Points.Where(p => p.Kind == PointKind.FireAlarm))
        {
            bool? level;
            try
            {
                level = inputs.ReadBeforeOutputs(point.Id);
            }
#pragma warning disable CA1031 // A read that fails is a fire input not read: the safe side, not a failed boot.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFireReadFailed(point.Id, ex.Message);
                level = null;
            }

            if (level is not { } high)
            {
                (unread ??= []).Add(point.Id);
            }
            else if (point.IsActive(high))
            {
                (active ??= []).Add(point.Id);
            }
        }

        return active is null && unread is null ? null : (active ?? [], unread ?? []);
    }

    /// <summary>
    /// The levels the outputs are opened at: the restored plan's, with every egress lock at its
    /// released level when a fire input read active (or could not be read) before the outputs.
    /// </summary>
    private IReadOnlyDictionary<string, bool> BootLevels(OutputPlan plan)
    {
        var levels = plan.Levels(site);
        if (FireBeforeOutputs() is not { } fire)
        {
            return levels;
        }

        var released = new Dictionary<string, bool>(levels, StringComparer.Ordinal);
        foreach (var output in site.Outputs.Where(o => o is { Kind: OutputKind.Lock, Egress: true }))
        {
            released[output.Id] = output.LevelFor(false);
        }

        LogFireBeforeOutputs(string.Join(", ", fire.Active), string.Join(", ", fire.Unread));
        return released;
    }

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Fire inputs read before the outputs were opened: active [{Active}], not readable yet [{Unread}]; egress locks opened released until the settled read decides the fire release")]
    private partial void LogFireBeforeOutputs(string active, string unread);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "The fire input {Point} could not be read before the outputs were opened ({Failure}); taken as active until the settled read")]
    private partial void LogFireReadFailed(string point, string failure);
}
