using Coffre.Adapters.Postgres;
using Coffre.Application.Directory;
using Coffre.Grains;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Coffre.IntegrationTests.Postgres;

/// <summary>
/// An in-process cluster whose grain state and reminders live in Coffre's schema on the real PostgreSQL
/// (the same <see cref="OrleansHosting.AddCoffrePostgresState"/> wiring the silo role uses).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private PostgresCluster(InProcessTestCluster cluster, string connectionString)
    {
        Cluster = cluster;
        ConnectionString = connectionString;
    }

    public InProcessTestCluster Cluster { get; }
    public string ConnectionString { get; }
    public IGrainFactory Grains => Cluster.Client;

    public static async Task<PostgresCluster> StartAsync(string connectionString, string serviceId)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddCoffrePostgresState(connectionString);
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(Coffre.Domain.Access.HabilitationMatrix.Default); // the professional grain checks professions against it
            // The professional and establishment grains write their public entry to the directory index after each change.
            silo.Services.AddSingleton<IDirectoryIndex>(_ => new PostgresDirectoryIndex(Npgsql.NpgsqlDataSource.Create(connectionString)));
            silo.Services.AddSingleton<ReminderProbe>();
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new PostgresCluster(cluster, connectionString);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
