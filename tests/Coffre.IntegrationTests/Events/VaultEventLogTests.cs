using Coffre.Adapters.Local;
using Coffre.Adapters.Postgres;
using Coffre.Application.Events;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;

namespace Coffre.IntegrationTests.Events;

public sealed class InMemoryVaultEventLogTests : VaultEventLogContract
{
    private readonly InMemoryVaultEventLog _log = new();

    protected override IVaultEventLog Log => _log;

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;
}

public sealed class PostgresVaultEventLogTests : VaultEventLogContract
{
    private NpgsqlDataSource? _dataSource;
    private PostgresVaultEventLog? _log;

    protected override IVaultEventLog Log => _log!;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        _log = new PostgresVaultEventLog(_dataSource);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
