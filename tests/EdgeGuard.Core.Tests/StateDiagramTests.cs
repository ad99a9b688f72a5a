using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

public sealed class StateDiagramTests
{
    [Fact]
    public void Diagram_draws_every_row_of_the_transition_table()
    {
        var markdown = StateDiagram.ToMarkdown();

        Assert.All(Transitions.Table, row => Assert.Contains($"{row.From} --> {row.To} : {row.On}", markdown, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(SiteMode.Lockdown)]
    [InlineData(SiteMode.Evacuation)]
    [InlineData(SiteMode.ShelterInPlace)]
    public void The_office_drill_stop_is_a_row_the_diagram_draws_guarded_by_a_drill_running(SiteMode mode)
    {
        // OfficeCommands used to end a drill outside the table, so the diagram never showed it.
        var markdown = StateDiagram.ToMarkdown();

        Assert.Contains($"{mode} --> Normal : OfficeDrillStop [signed drill-stop command, the running scenario is a drill]", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_keyswitch_clear_says_it_is_refused_while_any_panic_button_is_held()
    {
        // AuthorisedRelease refuses while any (non-silent) panic button is held, whichever
        // scenario it asked for: the diagram said only the running scenario's own triggers.
        var keyRows = Transitions.Table.Where(row => row.On == Trigger.KeyswitchTurned).ToList();

        Assert.NotEmpty(keyRows);
        Assert.All(keyRows, row => Assert.Contains("no panic button held (anywhere)", row.Condition, StringComparison.Ordinal));
    }

    [Fact]
    public void The_office_all_clear_says_it_is_refused_while_a_silent_holdup_is_held()
    {
        // NoPanicHeld refuses while a duress button is held too: the diagram said panic buttons only.
        var clearRows = Transitions.Table.Where(row => row.On == Trigger.OfficeAllClear).ToList();

        Assert.NotEmpty(clearRows);
        Assert.All(clearRows, row => Assert.Contains("no panic or silent hold-up button held", row.Condition, StringComparison.Ordinal));
    }

    [Fact]
    public void Diagram_in_docs_is_the_one_generated_from_code()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "state-machine.md");

        Assert.True(File.Exists(path), $"{path} is missing: run `edgeguard diagram`.");
        Assert.Equal(StateDiagram.ToMarkdown(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeGuard.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EdgeGuard.sln not found above the test directory.");
    }
}
