using Coffre.Adapters.Local;
using Coffre.Application.Audit;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Grains.Vaults;
using Coffre.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>One in-process cluster of two silos, memory storage, shared by the grain tests of a collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; }

    /// <summary>The population registry both silos read (tests import people into it).</summary>
    public static InMemoryRolloutStore Registry { get; } = new(new InMemoryOutbox());

    /// <summary>The NIR hasher of the silos (an all-zero key).</summary>
    public static Coffre.Domain.Identifiers.NirHasher NirHasher { get; } = new(new byte[32]);

    public ClusterFixture()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GrainNames.Storage);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(HabilitationMatrix.Default);
            silo.Services.AddSingleton<AccessEvaluator>();
            silo.Services.AddSingleton<IAuditLog>(new InMemoryAuditLog());
            silo.Services.AddSingleton<IOutbox>(new InMemoryOutbox());
            silo.Services.AddSingleton(new Coffre.Domain.Identifiers.NirHasher(new byte[32]));
            silo.Services.AddSingleton(new Coffre.Domain.Rollout.CodeHasher(new Dictionary<short, byte[]> { [1] = new byte[32] }, 1));
            silo.Services.AddSingleton<IContentStore>(new LocalDiskContentStore(Path.Combine(Path.GetTempPath(), "coffre-cluster-tests-" + Guid.NewGuid().ToString("N"))));
            silo.Services.AddOptions<VaultOptions>();
            // One registry for both silos: a person's identity grain and their vault may live on different silos.
            silo.Services.AddSingleton<IRolloutStore>(Registry);
            silo.Services.AddOptions<Coffre.Grains.Rollout.ActivationOptions>();
            silo.Services.AddSingleton<Coffre.Grains.Rollout.RolloutRegistry>();
            silo.Services.AddSingleton<Coffre.Grains.Rollout.IVaultRegistry>(sp => sp.GetRequiredService<Coffre.Grains.Rollout.RolloutRegistry>());
            silo.Services.AddSingleton<Coffre.Grains.Rollout.IActivationStore>(sp => sp.GetRequiredService<Coffre.Grains.Rollout.RolloutRegistry>());
        });
        Cluster = builder.Build();
    }

    public IGrainFactory Grains => Cluster.Client;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
