using System.Net;
using Coffre.Grains;
using Coffre.Grains.Operations;
using Orleans.Configuration;
using Orleans.Storage;

namespace Coffre.Silo.Hosting;

/// <summary>Orleans wiring for the three roles: a co-hosted silo (embedded or cluster) or a client (gateway).</summary>
public static class OrleansHosting
{
    private const string Invariant = "Npgsql";

    public static WebApplicationBuilder AddCoffreSilo(this WebApplicationBuilder builder, CoffreOptions options)
    {
        var cluster = options.Cluster;
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = cluster.ProbeTimeout;
                o.NumMissedProbesLimit = cluster.NumMissedProbesLimit;
                o.TableRefreshTimeout = cluster.TableRefreshTimeout;
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(15));
            // The API's requests reach a silo behind gateways as grain calls: counted for the email router's pacing.
            silo.AddIncomingGrainCallFilter<InteractiveLoadCallFilter>();
            if (options.Role == CoffreRole.Embedded)
            {
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
                silo.AddMemoryGrainStorage(GrainNames.Storage);
                silo.UseInMemoryReminderService();
            }
            else
            {
                var connectionString = Settings.PostgresConnectionString(builder.Configuration);
                if (cluster.Kubernetes)
                {
                    silo.UseKubernetesHosting();
                }
                else
                {
                    silo.ConfigureEndpoints(ParseIp(cluster.AdvertisedIp), cluster.SiloPort, cluster.GatewayPort, cluster.ListenOnAnyHostAddress);
                }
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = Invariant;
                    o.ConnectionString = connectionString;
                });
                silo.AddCoffrePostgresState(connectionString);
            }
            silo.AddActivityPropagation();
            CachedGrainInterfaceTypes.Use(silo.Services);
        });
        return builder;
    }

    /// <summary>Grain state and reminders in Coffre's own PostgreSQL schema (grain state serialised with Orleans' binary serializer).</summary>
    public static ISiloBuilder AddCoffrePostgresState(this ISiloBuilder silo, string connectionString)
    {
        silo.AddAdoNetGrainStorage(GrainNames.Storage, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(GrainNames.Storage)
            .Configure<Orleans.Serialization.Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        return silo;
    }

    /// <summary>
    /// The cluster's Orleans client (a gateway, or an operator command such as <c>coffre opposition</c>). By default it
    /// waits for its cluster for ever and a call's deadline is <c>GatewayResponseTimeout</c>; a command bounds the
    /// wait to <paramref name="connectAttempts"/> (one a second) and gives its calls <paramref name="responseTimeout"/>.
    /// </summary>
    public static IHostApplicationBuilder AddCoffreClient(this IHostApplicationBuilder builder, CoffreOptions options,
        int? connectAttempts = null, TimeSpan? responseTimeout = null)
    {
        var cluster = options.Cluster;
        var connectionString = Settings.PostgresConnectionString(builder.Configuration);
        var attempts = 0;
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout ?? cluster.GatewayResponseTimeout);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return connectAttempts is not { } max || ++attempts < max;
            });
            client.AddActivityPropagation();
            client.Services.AddSingleton(new ConnectionLossWatch(cluster.ConnectionLossGrace));
            client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ConnectionLossWatch>());
            client.AddOutgoingGrainCallFilter<FailFastOnConnectionLoss>();
            CachedGrainInterfaceTypes.Use(client.Services);
        });
        return builder;
    }

    private static IPAddress ParseIp(string value) =>
        IPAddress.TryParse(value, out var ip)
            ? ip
            : throw new StartupException($"setting Coffre:Cluster:AdvertisedIp (Coffre__Cluster__AdvertisedIp) is not an IP address: '{value}'");
}
