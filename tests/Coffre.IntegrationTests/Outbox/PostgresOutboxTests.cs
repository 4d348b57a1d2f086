using Coffre.Adapters.Postgres;
using Coffre.Application.Outbox;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;

namespace Coffre.IntegrationTests.Outbox;

public sealed class PostgresOutboxTests : OutboxContract
{
    private NpgsqlDataSource? _dataSource;
    private PostgresOutbox? _outbox;

    protected override IOutbox Outbox => _outbox!;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        _outbox = new PostgresOutbox(_dataSource);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    protected override Task<string?> LastErrorAsync(Guid id) => _outbox!.LastErrorAsync(id);
}
