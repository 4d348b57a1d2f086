using Coffre.Adapters.Postgres;
using Coffre.Silo.Hosting;
using Npgsql;

namespace Coffre.Silo.Commands;

/// <summary><c>coffre migrate</c>: applies Coffre's PostgreSQL schema (idempotent, safe to run concurrently).</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = CommandHost.CreateBuilder(args, CoffreRole.Silo, out _);
        await using var dataSource = Settings.PostgresDataSource(builder.Configuration);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton<SchemaMigrator>();
        await using var host = builder.BuildScope();
        try
        {
            var applied = await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
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
