using System.Diagnostics;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.IntegrationTests.RolloutEndToEnd;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// Statements whose time grows with the population (index builds, the load swap, ANALYZE, COPY, merges) run under their
/// own timeout, not the connection's ordinary one: at national scale an index build outlasts Npgsql's 30 s. Here the
/// connection's command timeout is 1 s and a lock held by another session makes the initial load's index build wait
/// longer than that.
/// </summary>
public sealed class LongStatementTimeoutTests(ITestOutputHelper output)
{
    private const int People = 5_000;

    [Fact]
    public async Task An_initial_load_completes_when_its_index_build_outlasts_the_connections_command_timeout()
    {
        var (result, waited) = await ImportWithSlowIndexBuildAsync(new PostgresRolloutStoreOptions());
        output.WriteLine($"index build waited {waited.TotalSeconds:0.0} s behind the lock; import completed: {result.Accepted} rows");
        Assert.True(waited > TimeSpan.FromSeconds(1.5), $"the index build should have waited past the 1 s command timeout (waited {waited})");
        Assert.Equal(People, result.Accepted);
    }

    [Fact]
    public async Task The_same_load_fails_when_its_bulk_statements_get_the_ordinary_timeout()
    {
        // The control: with the bulk timeout as short as the connection's, the blocked index build times out — the
        // first test passes because of the bulk timeout, not because the build was quick.
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => ImportWithSlowIndexBuildAsync(new PostgresRolloutStoreOptions { BulkStatementTimeout = TimeSpan.FromSeconds(1) }));
        output.WriteLine($"with a 1 s bulk timeout: {failure.GetType().Name}: {failure.Message.Split('\n')[0]}");
        Assert.True(failure is NpgsqlException or TimeoutException || failure.InnerException is TimeoutException, failure.ToString());
    }

    private static async Task<(ImportResult Result, TimeSpan Waited)> ImportWithSlowIndexBuildAsync(PostgresRolloutStoreOptions options)
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 1 }.ConnectionString);
        var store = new PostgresRolloutStore(dataSource, options);
        var directory = E2e.TempDirectory("long-statements");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            var file = E2e.WritePopulation(directory, People);
            var blocker = HoldLoadTableUntilAnIndexBuildWaitsAsync(connectionString, stop.Token);
            var result = await E2e.Importer(store).ImportAsync("long-statements", file, file + ".rejects", cancellationToken: stop.Token);
            return (result, await blocker);
        }
        finally
        {
            await stop.CancelAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// As soon as the load table exists, holds ROW EXCLUSIVE on it (COPY takes the same mode, so loading goes on; an index
    /// build needs SHARE and waits), then keeps it until an index build has been waiting for 3 s. Returns how long it waited.
    /// </summary>
    private static async Task<TimeSpan> HoldLoadTableUntilAnIndexBuildWaitsAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        while (!(bool)(await new NpgsqlCommand("SELECT to_regclass('registry_load') IS NOT NULL", connection).ExecuteScalarAsync(cancellationToken))!)
        {
            await Task.Delay(20, cancellationToken);
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await new NpgsqlCommand("LOCK TABLE registry_load IN ROW EXCLUSIVE MODE", connection, tx).ExecuteNonQueryAsync(cancellationToken);
        var waiting = Stopwatch.StartNew();
        var seen = false;
        while (!cancellationToken.IsCancellationRequested && (!seen || waiting.Elapsed < TimeSpan.FromSeconds(3)))
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(cancellationToken);
            var blocked = (long)(await new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE%INDEX%registry_load%' AND wait_event_type = 'Lock'", probe)
                .ExecuteScalarAsync(cancellationToken))!;
            if (blocked > 0 && !seen)
            {
                seen = true;
                waiting.Restart();
            }
            await Task.Delay(50, cancellationToken);
        }
        await tx.RollbackAsync(CancellationToken.None);
        return seen ? waiting.Elapsed : TimeSpan.Zero;
    }
}
