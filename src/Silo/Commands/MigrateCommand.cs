using Coffre.Adapters.Postgres;
using Coffre.Silo.Hosting;
using Npgsql;

namespace Coffre.Silo.Commands;

/// <summary><c>coffre migrate</c>: applies Coffre's PostgreSQL schema (idempotent, safe to run concurrently).</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = CommandConfiguration.Build(args);
        await using var dataSource = Settings.PostgresDataSource(configuration);
        try
        {
            var applied = await new SchemaMigrator(dataSource).MigrateAsync();
            foreach (var m in applied)
            {
                Console.WriteLine($"applied {m.Version:D4}_{m.Name}");
            }
            Console.WriteLine($"PostgreSQL schema at version {SchemaMigrator.ExpectedVersion} ({Settings.Describe(dataSource)})");
            return 0;
        }
        catch (SchemaVersionException e)
        {
            throw new StartupException(e.Message, 4);
        }
        catch (NpgsqlException e)
        {
            throw new StartupException($"PostgreSQL at {Settings.Describe(dataSource)} failed ({Settings.PostgresKey}): {e.Message.Split('\n')[0]}", 3);
        }
    }
}

/// <summary>Configuration for one-shot commands: appsettings, environment, then --Key=value arguments.</summary>
public static class CommandConfiguration
{
    public static IConfiguration Build(string[] args) => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();
}
