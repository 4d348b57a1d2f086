using Azure.Storage.Blobs;
using Coffre.Adapters.Postgres;
using Npgsql;

namespace Coffre.IntegrationTests.Infrastructure;

/// <summary>
/// The real PostgreSQL, Azurite and SMTP server (smtp4dev) that ./test.sh starts on 127.0.0.1 (COFFRE_TEST_POSTGRES,
/// COFFRE_TEST_BLOB, COFFRE_TEST_SMTP host:port and COFFRE_TEST_SMTP_API, the SMTP server's HTTP API).
/// Each test gets its own database or container, so tests never see each other's data.
/// </summary>
public static class TestServices
{
    public static string PostgresAdmin => Required("COFFRE_TEST_POSTGRES");
    public static string Blob => Required("COFFRE_TEST_BLOB");
    public static string Smtp => Required("COFFRE_TEST_SMTP");
    public static Uri SmtpApi => new(Required("COFFRE_TEST_SMTP_API"));

    /// <summary>The fake SMS provider (tools/fake-sms/server.mjs, API key <c>fake-sms-key</c>) that ./test.sh starts.</summary>
    public static Uri Sms => new(Required("COFFRE_TEST_SMS"));

    /// <summary>A new empty database; returns its connection string.</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
    }

    /// <summary>A new database with Coffre's schema applied.</summary>
    public static async Task<string> NewMigratedDatabaseAsync()
    {
        var connectionString = await NewDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource).MigrateAsync();
        return connectionString;
    }

    public static BlobContainerClient NewContainer() =>
        new BlobServiceClient(Blob).GetBlobContainerClient("t-" + Guid.NewGuid().ToString("N")[..20]);

    /// <summary>How many blobs of <paramref name="container"/> start with <paramref name="prefix"/> (e.g. <c>vaults/{id}/</c>).</summary>
    public static async Task<int> CountBlobsAsync(BlobContainerClient container, string prefix)
    {
        var count = 0;
        await foreach (var _ in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            count++;
        }
        return count;
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements) on its own connection.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the integration tests through ./test.sh, which starts PostgreSQL, Azurite and the SMTP server");
}
