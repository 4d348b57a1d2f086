using Coffre.Adapters.Fhir;
using Coffre.Adapters.Local;
using Coffre.Domain.Content;
using Coffre.Grains;
using Coffre.Grains.Exports;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace Coffre.UnitTests.Exports;

/// <summary>
/// One in-process silo with the servers' own extensions, the embedded content store on a temporary folder the tests can
/// reach (to tamper with a document's bytes), and the exports' clock under the tests' control (the silo's is not moved).
/// </summary>
public sealed class ExportClusterFixture : IAsyncLifetime
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "coffre-export-tests-" + Guid.NewGuid().ToString("N"));

    public static LocalDiskContentStore Store { get; } = new(Path.Combine(Root, "content"));

    public static MovableClock Clock { get; } = new();

    public InProcessTestCluster Cluster { get; }

    public ExportClusterFixture()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GrainNames.Storage);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddCoffreAccess();
            silo.Services.AddCoffreLocal(Root, new byte[32]);
            silo.Services.AddSingleton<IContentStore>(Store);
            silo.Services.AddSingleton(new Coffre.Domain.Identifiers.NirHasher(new byte[32]));
            silo.Services.AddSingleton(new Coffre.Domain.Rollout.CodeHasher(new Dictionary<short, byte[]> { [1] = new byte[32] }, 1));
            silo.Services.AddKeyedSingleton<TimeProvider>(ExportGrain.ClockKey, Clock);
            silo.Services.AddCoffreGrainServices();
            silo.Services.AddCoffreFhir();
        });
        Cluster = builder.Build();
    }

    public IGrainFactory Grains => Cluster.Client;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>The system clock plus an offset the tests move forward.</summary>
    public sealed class MovableClock : TimeProvider
    {
        private long _offsetTicks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
    }
}

[CollectionDefinition(Name)]
public sealed class ExportCollection : ICollectionFixture<ExportClusterFixture>
{
    public const string Name = "exports";
}
