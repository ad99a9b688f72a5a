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
