using System.CommandLine;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Cli;

/// <summary>The <c>edgeguard</c> command line: run, validate, walktest, sim, diagram, keys, command, journal.</summary>
public static class EdgeGuardCli
{
    /// <summary>Path of the site configuration (JSON).</summary>
    internal static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = "Site configuration file (default: appsettings.json next to the executable). Environment variables such as EdgeGuard__gateway override it.",
    };

    /// <summary>
    /// How the verbs are invoked: on SIGTERM or SIGINT the verb's token is cancelled and <c>Main</c>
    /// waits for the verb <see cref="Hosting.GatewayHost.StopGrace"/> at the most, not
    /// System.CommandLine's default 2 s, so the gateway's orderly stop ends on its own terms and
    /// its exit code is the run's.
    /// </summary>
    public static InvocationConfiguration Invocation() => new() { ProcessTerminationTimeout = Hosting.GatewayHost.StopGrace };

    /// <summary>Builds the root command with every verb.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("EdgeGuard: physical-security edge gateway (door contacts, panic buttons, lockdown, locks and sirens).")
        {
            RunVerb(),
            ValidateVerb(),
            WalkTestVerb.Create(),
            SimVerbs.Create(),
            DiagramVerb(),
            KeysVerbs.KeysVerb(),
            KeysVerbs.CommandVerb(),
            JournalVerbs.Create(),
        };
        return root;
    }

    private static Command RunVerb()
    {
        var simulate = new Option<bool>("--simulate") { Description = "Use simulated GPIO lines (drive them with `edgeguard sim`) and, with no broker configured, an embedded MQTT broker on loopback." };
        var command = new Command("run", "Run the gateway until stopped.") { ConfigOption, simulate };
        command.SetAction((result, ct) => RunVerbHandler.RunAsync(result.GetValue(ConfigOption), result.GetValue(simulate), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct));
        return command;
    }

    private static Command ValidateVerb()
    {
        var simulate = new Option<bool>("--simulate") { Description = "Validate as for `run --simulate` (no hardware driver needed)." };
        var command = new Command("validate", "Check the configuration and report every problem; touches no hardware.") { ConfigOption, simulate };
        command.SetAction(result =>
        {
            // With its warnings (a client certificate near its end): run does not load the files, so
            // only validate can give them.
            var loaded = RunVerbHandler.Load(result.GetValue(ConfigOption), result.GetValue(simulate), result.InvocationConfiguration.Error, loadFiles: true, warn: true);
            if (loaded is null)
            {
                return ExitCodes.InvalidConfig;
            }

            // A few stats: files left by a tool run as root keep the gateway from starting,
            // whatever the config says.
            var directory = loaded.Value.Config.StateDirectoryPath;
            if (GatewayFilesUser.LeftoverWarning(directory, Path.Combine(directory, Journal.JournalDatabase.FileName)) is { } leftovers)
            {
                result.InvocationConfiguration.Error.WriteLine($"warning: {leftovers}");
            }

            var site = loaded.Value.Config.Site;
            result.InvocationConfiguration.Output.WriteLine($"Configuration is valid: site {site.SiteId}, gateway {site.GatewayId}, {site.Points.Count} points, {site.Outputs.Count} outputs, {site.Zones.Count} zones.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command DiagramVerb()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write the Markdown here instead of standard output (e.g. docs/state-machine.md)." };
        var command = new Command("diagram", "Print the lockdown state machine as a Mermaid diagram generated from the code.") { output };
        command.SetAction(result =>
        {
            var markdown = StateDiagram.ToMarkdown();
            if (result.GetValue(output) is { } path)
            {
                File.WriteAllText(path, markdown);
            }
            else
            {
                result.InvocationConfiguration.Output.Write(markdown);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
