using Coffre.Silo.Hosting;

namespace Coffre.Silo.Commands;

/// <summary>The verbs of the one executable. Without a verb it starts the embedded default.</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: coffre [embedded|silo|gateway|migrate|schema|token|import|campaign|opposition|rollout|generate-population|directory|audit-verify|help]
                      [--settings FILE] [--Key=value ...]
          --settings FILE  the cluster's settings as JSON (ConnectionStrings:…, Coffre:…; default: $COFFRE_SETTINGS);
                           the environment and --Key=value override it. deploy/local/up.sh writes .local/cluster/coffre.settings.json
          embedded   one process, no external service (default)
          silo       cluster silo on PostgreSQL + Blob storage, serves GraphQL too
          gateway    GraphQL front end as a client of the cluster
          migrate    apply Coffre's PostgreSQL schema (idempotent)
          import     load a population file: --file F [--import-id ID] [--report R] [--chunk-size N] (resumable)
          campaign   create --id ID [--name N] [--departements 75,93] [--opposition-weeks 6] [--validity-weeks 6]
                     issue --id ID [--chunk-size N] [--writers N] [--count-first true]   (idempotent, resumable;
                       the progress total is estimated unless counted first, one more read of the segment)
                     status --id ID | export --id ID --out DIR
                     post-bounces --id ID   (bounced activation emails → new codes in the next print batch)
                     close-window --id ID [--chunk-size N]   (after the opposition window: vaults of people who neither
                       opposed nor activated become ACTIVE; idempotent, resumable)
                     reissue --id ID --nir N [--by WHO]   (lost letter, locked code: revoke and send a new code)
          opposition record a person's opposition: --nir N --by WHO [--channel operator|person]
          rollout    majority --date YYYY-MM-DD [--by WHO]   hand the vaults of people turning 18 that day over to them
                       (through the cluster; idempotent; exit 3 when no silo answers)
          generate-population --count N --out F [--seed S]   a deterministic synthetic population file
          directory  import --kind establishments|professionals --file F [--report R] [--chunk-size N] [--max-rows N] [--by WHO]
                       registration by list through the cluster (CSV, report per row, resumable; establishments first)
                     generate --establishments M --professionals N --out DIR [--seed S]   synthetic directory CSVs
          audit-verify --vault V   recompute a vault's audit hash chain (exit 6 when broken)
          schema     print the GraphQL schema (SDL) as committed in schema.graphql
          token      mint a development token: --role operator|patient|professional --subject ID
                     [--operator-roles support,rollout,directory-admin|none] [--rpps N [--finess N]] [--hours H]
                     (a patient's subject is their vault id v-…; a professional needs --rpps)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "embedded";
        var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        try
        {
            return verb switch
            {
                "embedded" => await ServeCommand.RunAsync(CoffreRole.Embedded, rest),
                "silo" => await ServeCommand.RunAsync(CoffreRole.Silo, rest),
                "gateway" => await ServeCommand.RunAsync(CoffreRole.Gateway, rest),
                "migrate" => await MigrateCommand.RunAsync(rest),
                "token" => await TokenCommand.RunAsync(rest),
                "schema" => PrintSchema(),
                "import" => await RolloutCommands.ImportAsync(rest),
                "campaign" => await RolloutCommands.CampaignAsync(rest),
                "opposition" => await RolloutCommands.OppositionAsync(rest),
                "rollout" => await RolloutCommands.RolloutAsync(rest),
                "generate-population" => await RolloutCommands.GeneratePopulationAsync(rest),
                "audit-verify" => await RolloutCommands.AuditVerifyAsync(rest),
                "directory" => await DirectoryCommands.RunAsync(rest),
                "help" or "--help" => PrintUsage(0),
                _ => PrintUsage(2),
            };
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync($"coffre: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (Roles.DescribeInvalidSettings(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"coffre: {message}");
            return 2;
        }
    }

    private static int PrintSchema()
    {
        Console.Out.Write(Coffre.GraphQL.Schema.CoffreSchemaPrinter.Print());
        return 0;
    }

    private static int PrintUsage(int code)
    {
        (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
        return code;
    }
}
