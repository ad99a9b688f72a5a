using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Tests.Cli;

/// <summary>The `edgeguard` verbs as a technician runs them, with their exit codes and messages.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRun.InvokeAsync(args);

    /// <summary>The shipped sample config with <paramref name="edit"/> applied, written to a temp file.</summary>
    private string ConfigFile(Action<JsonNode> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        json["EdgeGuard"]!["stateDirectory"] = Path.Combine(_dir, "state");
        edit(json["EdgeGuard"]!);
        var path = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Validate_accepts_the_shipped_configuration()
    {
        var (code, output, _) = await Run("validate", "--config", ConfigFile(_ => { }));

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("11 points, 5 outputs", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_simulators_hint_gives_the_dotnet_run_form_from_a_source_checkout_and_edgeguard_otherwise()
    {
        // `edgeguard` is on no PATH in a source checkout: the hint must be a command that runs there.
        var project = Path.Combine(_dir, "src", "EdgeGuard");
        var output = Path.Combine(project, "bin", "Debug", "net10.0");
        Directory.CreateDirectory(output);
        Assert.Null(RunVerbHandler.SourceProject(output)); // no project file: an installed release
        File.WriteAllText(Path.Combine(project, "EdgeGuard.csproj"), "<Project />");
        Assert.Equal(project, RunVerbHandler.SourceProject(output + Path.DirectorySeparatorChar));
        Assert.Null(RunVerbHandler.SourceProject(_dir)); // too shallow to be bin/<configuration>/<framework>

        var config = GatewayConfigReader.Read(new ConfigurationBuilder().AddJsonFile(ConfigFile(_ => { })).Build(), simulate: true).Config!;
        var fromSource = RunVerbHandler.QuickStartHint(config, project);
        var installed = RunVerbHandler.QuickStartHint(config, null);

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, project);
        Assert.Contains($"dotnet run --project {relative} -- sim press panic-lobby --socket ", fromSource, StringComparison.Ordinal);
        Assert.Contains($"dotnet run --project {relative} -- sim status --socket ", fromSource, StringComparison.Ordinal);
        Assert.DoesNotContain("  edgeguard sim", fromSource, StringComparison.Ordinal);
        Assert.Contains("edgeguard sim press panic-lobby --socket ", installed, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet run", installed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_every_problem_at_once_and_exits_2()
    {
        var path = ConfigFile(eg =>
        {
            eg["points"]![0]!["line"] = 27;          // same line as door-chancery
            eg["points"]![1]!["zone"] = "attic";     // no such zone
            eg["outputs"]![0]!["lne"] = 3;           // typo
        });

        var (code, _, error) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("3 problems", error, StringComparison.Ordinal);
        Assert.Contains("attic", error, StringComparison.Ordinal);
        Assert.Contains("lne", error, StringComparison.Ordinal);
        Assert.Contains("27", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_a_broken_configuration_exits_2_before_touching_hardware_or_state()
    {
        var path = ConfigFile(eg => eg["outputs"]![0]!["failMode"] = "failSecure"); // egress lock that stays locked without power

        var (code, _, error) = await Run("run", "--simulate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("egress", error, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")), "the state directory was created: startup went too far");
    }

    [Fact]
    public async Task Validate_refuses_an_egress_door_that_lost_its_exit_button_and_exits_2()
    {
        // The technician left the lobby's exit button out, on a lock with no push-to-exit of its own:
        // a lockdown would lock people in. run reads the config with the same reader, so it refuses
        // to start on it too (exit 2, as above).
        var path = ConfigFile(eg =>
        {
            eg["doors"]![0]!.AsObject().Remove("requestToExit");
            eg["outputs"]![0]!.AsObject().Remove("hardwiredExit");
        });

        var (code, _, error) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("EdgeGuard:outputs:0:egress: output 'lock-lobby': ", error, StringComparison.Ordinal);
        Assert.Contains("door 'lobby' has no requestToExit point", error, StringComparison.Ordinal);
    }

    // A rollback past a journal migration: restarting cannot fix it, so exit 2, which the unit never
    // restarts, instead of 1 and a reboot loop once the start limit is reached.
    [Fact]
    public async Task Run_on_a_journal_a_newer_release_migrated_exits_2_naming_the_schema()
    {
        var path = ConfigFile(_ => { });
        var db = Path.Combine(_dir, "state", "edgeguard.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        EdgeGuard.Journal.JournalDatabase.Open(db).Dispose();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var bump = connection.CreateCommand();
            bump.CommandText = "PRAGMA user_version = 999;";
            bump.ExecuteNonQuery();
        }

        var (code, _, error) = await Run("run", "--simulate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("has schema version 999, newer than the", error, StringComparison.Ordinal);
    }

    // Provisioning runs validate: a TLS file missing there is an error, every one listed, exit 2.
    // run starts without it (MissingTlsFileHostTests), saying which file, as the next test shows.
    [Fact]
    public async Task Validate_refuses_missing_tls_files_listing_each_and_exits_2()
    {
        var ca = Path.Combine(_dir, "tls", "office-ca.pem");
        var key = Path.Combine(_dir, "tls", "gw-chancery.key");
        var path = ConfigFile(eg => eg["mqtt"] = OfficeBroker(ca, key));

        var (code, _, error) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("3 problems", error, StringComparison.Ordinal);
        Assert.Contains($"EdgeGuard:mqtt:tls:caFile: file '{ca}' does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"EdgeGuard:mqtt:tls:keyFile: file '{key}' does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_loads_a_config_with_a_missing_tls_file_and_warns_naming_it()
    {
        var ca = Path.Combine(_dir, "tls", "office-ca.pem");
        var key = Path.Combine(_dir, "tls", "gw-chancery.key");
        var path = ConfigFile(eg => eg["mqtt"] = OfficeBroker(ca, key));
        using var error = new StringWriter();

        // As the site's gateway reads it: simulated hardware refuses the office's broker (RunSimulateTests).
        var loaded = RunVerbHandler.Load(path, simulate: false, error, warn: true);

        Assert.NotNull(loaded);
        var text = error.ToString();
        Assert.Contains($"edgeguard: warning: EdgeGuard:mqtt:tls:caFile: file '{ca}' does not exist", text, StringComparison.Ordinal);
        Assert.Contains($"edgeguard: warning: EdgeGuard:mqtt:tls:keyFile: file '{key}' does not exist", text, StringComparison.Ordinal);
        Assert.DoesNotContain("problem", text, StringComparison.Ordinal);
    }

    // The same for an operator's public key file: validate refuses it, run starts without that
    // operator (MissingOperatorKeyHostTests), saying which operator and which file.
    [Fact]
    public async Task Validate_refuses_missing_operator_key_files_listing_each_and_exits_2()
    {
        var (jones, smith) = (Path.Combine(_dir, "operators", "sup.jones.pub.pem"), Path.Combine(_dir, "operators", "sup.smith.pub.pem"));
        var path = ConfigFile(eg => eg["commands"] = Operators(jones, smith));

        var (code, _, error) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("2 problems", error, StringComparison.Ordinal);
        Assert.Contains($"EdgeGuard:commands:operators:0:publicKeyFile: operator 'sup.jones': file '{jones}' does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"EdgeGuard:commands:operators:1:publicKeyFile: operator 'sup.smith': file '{smith}' does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_loads_a_config_with_missing_operator_key_files_and_warns_naming_each()
    {
        var (jones, smith) = (Path.Combine(_dir, "operators", "sup.jones.pub.pem"), Path.Combine(_dir, "operators", "sup.smith.pub.pem"));
        var path = ConfigFile(eg => eg["commands"] = Operators(jones, smith));
        using var error = new StringWriter();

        var loaded = RunVerbHandler.Load(path, simulate: true, error, warn: true);

        Assert.NotNull(loaded);
        Assert.Equal(["sup.jones", "sup.smith"], loaded.Value.Config.Commands.Unavailable.Select(u => u.Operator));
        var text = error.ToString();
        Assert.Contains($"edgeguard: warning: EdgeGuard:commands:operators:0:publicKeyFile: operator 'sup.jones': file '{jones}' does not exist", text, StringComparison.Ordinal);
        Assert.Contains($"edgeguard: warning: EdgeGuard:commands:operators:1:publicKeyFile: operator 'sup.smith': file '{smith}' does not exist", text, StringComparison.Ordinal);
        Assert.DoesNotContain("problem", text, StringComparison.Ordinal);
    }

    // Two supervisors with their public key files at these paths.
    private static JsonObject Operators(string jones, string smith) => new()
    {
        ["operators"] = new JsonArray(
            new JsonObject { ["name"] = "sup.jones", ["role"] = "supervisor", ["publicKeyFile"] = jones },
            new JsonObject { ["name"] = "sup.smith", ["role"] = "supervisor", ["publicKeyFile"] = smith }),
    };

    // The office broker over mutual TLS with the CA and key files at these paths, the certificate elsewhere.
    private JsonObject OfficeBroker(string ca, string key) => new()
    {
        ["host"] = "broker.office.example",
        ["port"] = 8883,
        ["tls"] = new JsonObject { ["caFile"] = ca, ["certFile"] = Path.Combine(_dir, "tls", "gw-chancery.crt"), ["keyFile"] = key },
    };

    [Fact]
    public async Task Missing_configuration_file_is_named()
    {
        var (code, _, error) = await Run("validate", "--config", Path.Combine(_dir, "nope.json"));

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("nope.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagram_verb_prints_the_generated_state_machine()
    {
        var (code, output, _) = await Run("diagram");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(StateDiagram.ToMarkdown(), output);
    }

    [Fact]
    public async Task Sim_verb_without_a_running_gateway_says_how_to_start_one()
    {
        var (code, _, error) = await Run("sim", "press", "panic-lobby", "--socket", Path.Combine(_dir, "none.sock"));

        Assert.Equal(ExitCodes.ScenarioFailed, code);
        Assert.Contains("edgeguard run --simulate", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("presss", "panic-lobby")]
    [InlineData("loop", "fence-east", "bogus")]
    [InlineData("pulse", "door-lobby", "lots")]
    public async Task A_sim_usage_error_exits_1_as_the_readme_says_before_reaching_any_gateway(params string[] args)
    {
        var (code, _, error) = await Run(["sim", .. args, "--socket", Path.Combine(_dir, "none.sock")]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.DoesNotContain("No simulated gateway", error, StringComparison.Ordinal);
    }
}
