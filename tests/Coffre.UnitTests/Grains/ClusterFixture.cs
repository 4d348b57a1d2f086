using Coffre.Adapters.Local;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Grains;
using Coffre.Grains.Operations;
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

    /// <summary>
    /// The one outbox of both silos, as PostgreSQL is in a cluster: a person's vault (which lists their notifications) and a
    /// grain that notifies them (their agenda) may live on different silos.
    /// </summary>
    public static InMemoryOutbox Outbox { get; } = new();

    /// <summary>
    /// The one audit log of both silos, as PostgreSQL is in a cluster: a vault's chain is also appended to by grains on
    /// other silos (the person's identity grain audits a registry vault's activation, the settler audits refusals).
    /// </summary>
    public static InMemoryAuditLog Audit { get; } = new(new byte[32]);

    /// <summary>The NIR hasher of the silos (an all-zero key).</summary>
    public static Coffre.Domain.Identifiers.NirHasher NirHasher { get; } = new(new byte[32]);

    /// <summary>Every grain call the test client made: method name and grain key.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<(string Method, string Key)> ClientCalls { get; } = new();

    /// <summary>
    /// The silos' clock: the system's, shifted by <see cref="ShiftableClock.Offset"/>. A test that moves time (a delegation's
    /// expiry, a birthday) shifts it and puts it back in a finally; the tests of the collection run one at a time.
    /// </summary>
    public static ShiftableClock Clock { get; } = new();

    private readonly string _folder = NewFolder();

    public ClusterFixture()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => ConfigureSilo(silo, Clock, _folder));
        builder.ConfigureClient(client => client.AddOutgoingGrainCallFilter(context =>
        {
            ClientCalls.Enqueue((context.InterfaceMethod.Name, context.TargetId.Key.ToString()));
            return context.Invoke();
        }));
        Cluster = builder.Build();
    }

    /// <summary>A temporary folder for one cluster's silos, removed by <see cref="DeleteFolder"/> when the cluster is disposed.</summary>
    internal static string NewFolder() => Path.Combine(Path.GetTempPath(), "coffre-cluster-tests-" + Guid.NewGuid().ToString("N"));

    internal static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A silo built with the servers' own extensions (Roles.AddCoffreServer composes the same ones for the embedded default),
    /// telling time by <paramref name="clock"/>, its local files in a folder of its own under <paramref name="folder"/>.
    /// </summary>
    internal static void ConfigureSilo(ISiloBuilder silo, TimeProvider clock, string folder)
    {
        silo.AddMemoryGrainStorage(GrainNames.Storage);
        silo.UseInMemoryReminderService();
        silo.Services.AddSingleton(clock);
        silo.Services.AddCoffreAccess();
        silo.Services.AddCoffreLocal(Path.Combine(folder, Guid.NewGuid().ToString("N")), new byte[32]);
        // One registry for both silos: a person's identity grain and their vault may live on different silos.
        silo.Services.AddSingleton<IRolloutStore>(Registry);
        silo.Services.AddSingleton<IOutbox>(Outbox);
        silo.Services.AddSingleton<Coffre.Application.Audit.IAuditLog>(Audit);
        silo.Services.AddSingleton(NirHasher);
        silo.Services.AddSingleton(new Coffre.Domain.Rollout.CodeHasher(new Dictionary<short, byte[]> { [1] = new byte[32] }, 1));
        silo.Services.AddCoffreGrainServices();
        CachedGrainInterfaceTypes.Use(silo.Services);
    }

    public IGrainFactory Grains => Cluster.Client;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        DeleteFolder(_folder);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>The system clock moved by <see cref="Offset"/>: a grain test lives a day later (a birthday, an expiry) without waiting.</summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
