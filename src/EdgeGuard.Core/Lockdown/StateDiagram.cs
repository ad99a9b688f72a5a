using System.Text;

namespace EdgeGuard.Core.Lockdown;

/// <summary>Draws <see cref="Transitions.Table"/> and <see cref="LifeSafetyTransitions.Table"/> as Mermaid state diagrams for <c>docs/</c>.</summary>
public static class StateDiagram
{
    /// <summary>The Markdown document with the Mermaid diagram, generated from the table.</summary>
    public static string ToMarkdown()
    {
        var text = new StringBuilder()
            .AppendLine("# Site state machine")
            .AppendLine()
            .AppendLine("Generated from `Transitions.Table` in `src/EdgeGuard.Core/Lockdown/Transitions.cs` by")
            .AppendLine("`edgeguard diagram`; a test fails when this file and the code disagree. Do not edit by hand.")
            .AppendLine()
            .AppendLine("Each mode runs a scenario from the config (the built-in `lockdown`, started by any panic button, and")
            .AppendLine("any `scenarios[]`), for real or as a drill: the same rows, events flagged `drill`, muted outputs silent.")
            .AppendLine("A panic button still held when the inputs settle at boot counts as pressed (`ScenarioTriggered`)")
            .AppendLine("unless its press was decided before the restart and it never restored (saved with the state).")
            .AppendLine("An armed perimeter point active then counts as a breach (`PerimeterBreach`) unless its breach was")
            .AppendLine("raised before the restart and it has not restored since (saved with the state).")
            .AppendLine("A takeover suspends the real scenario it replaces: its locks stay locked (not an evacuation's")
            .AppendLine("exits), and it runs again when the one over it is ended by that one's releaser (`KeyswitchTurned`")
            .AppendLine("to its mode). The office's all-clear ends every one. A trigger on site that a row refuses")
            .AppendLine("(outranked, or a drill over a real one) changes no mode and is `lockdown.start-refused`; a real")
            .AppendLine("lockdown or shelter it asked for, unless suspended already, is suspended under it as if taken")
            .AppendLine("over (an evacuation's exits stay open), also where what runs locks already, and runs when that")
            .AppendLine("one ends: one key turn ends one scenario. A real one refused sounds the siren again (not in a")
            .AppendLine("shelter). A signed office lockdown or shelter outranked so is kept the same way (journaled")
            .AppendLine("with no point, answered `done`); the office's other refusals change nothing (`command.refused`).")
            .AppendLine()
            .AppendLine("The latest alert, for the all-clear, is the running scenario's start, takeover, resume or")
            .AppendLine("retrigger, a real trigger refused under it, an all-clear refused for a held button, the restart,")
            .AppendLine("or an alarm of the site while it runs: a door forced, a perimeter breach, a tamper switch, a")
            .AppendLine("silent hold-up, a fire. Each drops the approvals collected so far, and an all-clear signed")
            .AppendLine("before it counts for nothing, however late it arrives. A keyswitch release takes no approvals.")
            .AppendLine()
            .AppendLine("A saved state the disk hands over only after the boot's 5 s bound (a slow card) is put back in")
            .AppendLine("force as a boot restores it (its scenario, siren and suspended ones) unless a scenario decided")
            .AppendLine("since the boot stands over it, by the rows' own rule: a real one (started, retriggered, ended,")
            .AppendLine("suspended or resumed) over anything, a drill only over a drill; a real one read late replaces a")
            .AppendLine("drill started since, as a real start does. Everything else decided since (a fire release or")
            .AppendLine("reset, a threat level, a bypass, a forced door) stays beside it. A scenario not put back is")
            .AppendLine("reported, as no rule merges an old scenario under a newer one (`fault.safety-state-unreadable`).")
            .AppendLine("A fire release it held is put back unless egress was released or reset since the boot, over a")
            .AppendLine("scenario started since too, as a live fire would.")
            .AppendLine()
            .AppendLine("```mermaid")
            .AppendLine("stateDiagram-v2")
            .AppendLine("    [*] --> Normal : first boot")
            .AppendLine("    [*] --> Lockdown : boot with persisted lockdown")
            .AppendLine("    [*] --> Evacuation : boot with persisted evacuation")
            .AppendLine("    [*] --> ShelterInPlace : boot with persisted shelter in place");
        foreach (var row in Transitions.Table)
        {
            text.AppendLine($"    {row.From} --> {row.To} : {row.On} [{row.Condition}]");
        }

        text.AppendLine("```")
            .AppendLine()
            .AppendLine("## Life safety (orthogonal to the mode)")
            .AppendLine()
            .AppendLine("Generated from `LifeSafetyTransitions.Table` in `src/EdgeGuard.Core/Lockdown/LifeSafety.cs`. While")
            .AppendLine("`FireEgressReleased`, every egress lock is released and strobes flash in every mode, lockdown included.")
            .AppendLine("Which fire inputs raised `fire.alarm` under the release is saved with it: at boot each fire input")
            .AppendLine("found active raises it once unless it raised under the saved release before the restart.")
            .AppendLine()
            .AppendLine("```mermaid")
            .AppendLine("stateDiagram-v2")
            .AppendLine("    [*] --> Normal : first boot")
            .AppendLine("    [*] --> FireEgressReleased : boot with persisted fire release, or a fire input active at boot");
        foreach (var row in LifeSafetyTransitions.Table)
        {
            text.AppendLine($"    {row.From} --> {row.To} : {row.On} [{row.Condition}]");
        }

        return text.AppendLine("```").ToString().ReplaceLineEndings("\n");
    }
}
