using Coffre.Adapters.Local;
using Coffre.Application.Outbox;


namespace Coffre.IntegrationTests.Outbox;

public sealed class InMemoryOutboxTests : OutboxContract
{
    private readonly InMemoryOutbox _outbox = new();

    protected override IOutbox Outbox => _outbox;

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;

    protected override Task<string?> LastErrorAsync(Guid id) => _outbox.LastErrorAsync(id);
}
