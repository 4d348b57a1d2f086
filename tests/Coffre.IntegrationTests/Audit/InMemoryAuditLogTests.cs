using Coffre.Adapters.Local;
using Coffre.Application.Audit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Audit;

public sealed class InMemoryAuditLogTests(ITestOutputHelper output) : AuditLogContract(output)
{
    private readonly InMemoryAuditLog _log = new(HeadKey);

    protected override IAuditLog Log => _log;

    protected override string Name => "in-memory";

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;
}
