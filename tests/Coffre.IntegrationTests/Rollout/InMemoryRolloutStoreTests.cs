using Coffre.Adapters.Local;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>The rollout contract on the embedded store: memory, local-disk print batches, in-memory outbox.</summary>
public sealed class InMemoryRolloutStoreTests(ITestOutputHelper output) : RolloutStoreContract(output)
{
    private readonly InMemoryOutbox _outbox = new();
    private InMemoryRolloutStore? _store;
    private LocalDiskContentStore? _content;

    protected override IRolloutStore Store => _store!;

    protected override IContentStore Content => _content!;

    protected override IOutbox Outbox => _outbox;

    protected override string Name => "in-memory";

    protected override Task InitializeStoreAsync()
    {
        _store = new InMemoryRolloutStore(_outbox);
        _content = new LocalDiskContentStore(Path.Combine(Files, "content"));
        return Task.CompletedTask;
    }

    protected override Task DisposeStoreAsync() => Task.CompletedTask;
}
