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
            silo.Services.AddSingleton<IContentStore>(new GatedStore(Store));
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

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        global::Coffre.UnitTests.Grains.ClusterFixture.DeleteFolder(Root);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    /// <summary>
    /// Holds every archive write of <paramref name="vaultId"/>'s exports until the returned gate is opened: the job then stays
    /// RUNNING for as long as the test needs (a phase barrier, not a delay).
    /// </summary>
    public static TaskCompletionSource HoldArchives(string vaultId) =>
        Gates.GetOrAdd(vaultId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The shared store, with archive writes held while a test holds their vault's gate.</summary>
    private sealed class GatedStore(IContentStore inner) : IContentStore
    {
        public async Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default)
        {
            if (key.Value.StartsWith("exports/", StringComparison.Ordinal) && Gates.TryGetValue(key.Value.Split('/')[1], out var gate))
            {
                await gate.Task;
            }
            return await inner.WriteAsync(key, content, expectedSha256, cancellationToken);
        }

        public Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

        public Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task CheckReadyAsync(CancellationToken cancellationToken = default) => inner.CheckReadyAsync(cancellationToken);
    }

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
