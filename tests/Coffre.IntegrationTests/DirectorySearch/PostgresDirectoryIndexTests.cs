using Coffre.Adapters.Postgres;
using Coffre.Application.Directory;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;

namespace Coffre.IntegrationTests.DirectorySearch;

/// <summary>The directory index contract on PostgreSQL: a fresh database migrated with Coffre's schema (0012) per test.</summary>
public sealed class PostgresDirectoryIndexTests : DirectoryIndexContract
{
    private NpgsqlDataSource? _dataSource;
    private PostgresDirectoryIndex? _index;

    protected override IDirectoryIndex Index => _index!;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        _index = new PostgresDirectoryIndex(_dataSource);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
