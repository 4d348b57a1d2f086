using System.Text.Json.Nodes;
using Coffre.Harness;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>
/// The macro harness's <c>--wal-breakdown</c>: where a run's WAL went, read back from a real PostgreSQL's log with
/// pg_walinspect (other tests write to the same server meanwhile, so only lower bounds and names are asserted).
/// </summary>
public sealed class WalBreakdownTests
{
    [Theory]
    [InlineData(0L, "0/0")]
    [InlineData(0xA0L, "0/A0")]
    [InlineData(0x1_0000_00A0L, "1/A0")]
    [InlineData(0x2B_FFFF_FFFFL, "2B/FFFFFFFF")]
    public void A_byte_offset_is_written_as_postgresql_writes_a_wal_position(long offset, string expected) =>
        Assert.Equal(expected, WalBreakdown.Lsn(offset));

    [Fact]
    public async Task The_first_change_of_each_page_after_a_checkpoint_is_counted_as_a_full_page_image_of_its_table()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        await WalBreakdown.EnableAsync(dataSource);
        await ExecuteAsync(dataSource, """
            CREATE TABLE wal_breakdown_probe (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
            INSERT INTO wal_breakdown_probe SELECT g, 0, repeat('x', 200) FROM generate_series(1, 4000) g;
            CHECKPOINT;
            """);
        var from = await WalOffsetAsync(dataSource);

        // Rows 100 apart lie on different pages (about 35 rows of 230 bytes a page): each update is its page's first
        // change since the checkpoint, so each page is logged whole once.
        await ExecuteAsync(dataSource, "UPDATE wal_breakdown_probe SET v = v + 1 WHERE id % 100 = 0");
        var breakdown = await WalBreakdown.ReadAsync(dataSource, from, top: 1000);

        var relations = breakdown["byRelation"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var table = relations.Single(r => r["relation"]!.GetValue<string>() == "wal_breakdown_probe");
        Assert.True(table["fullPageImages"]!.GetValue<long>() >= 40, table.ToJsonString());
        Assert.True(table["blockChanges"]!.GetValue<long>() >= table["fullPageImages"]!.GetValue<long>());
        Assert.All(relations, r => Assert.InRange(r["fullPageImages"]!.GetValue<long>(), 0, r["blockChanges"]!.GetValue<long>()));
        // Sorted by images, most first.
        Assert.Equal(relations.Select(r => r["fullPageImages"]!.GetValue<long>()).OrderDescending(), relations.Select(r => r["fullPageImages"]!.GetValue<long>()));

        var records = breakdown["byRecord"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var heap = records.Where(r => r["record"]!.GetValue<string>().StartsWith("Heap/", StringComparison.Ordinal)).ToList();
        Assert.True(heap.Sum(r => r["count"]!.GetValue<long>()) >= 40, string.Join(", ", records.Select(r => r.ToJsonString())));
        Assert.True(heap.Sum(r => r["fullPageImageBytes"]!.GetValue<long>()) > 40 * 1000, "the images carry the pages' rows");
        Assert.All(records, r => Assert.InRange(r["fullPageImageBytes"]!.GetValue<long>(), 0, r["bytes"]!.GetValue<long>()));

        // Before the checkpoint's position nothing of this table was written since: an empty window is empty.
        var now = await WalOffsetAsync(dataSource);
        var nothing = await WalBreakdown.ReadAsync(dataSource, now, top: 1000);
        Assert.DoesNotContain(nothing["byRelation"]!.AsArray(), r => r!["relation"]!.GetValue<string>() == "wal_breakdown_probe");
    }

    [Fact]
    public async Task The_lists_keep_only_the_largest_entries()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        await WalBreakdown.EnableAsync(dataSource);
        var from = await WalOffsetAsync(dataSource);
        await ExecuteAsync(dataSource, """
            CREATE TABLE wal_top_a (id int PRIMARY KEY);
            CREATE TABLE wal_top_b (id int PRIMARY KEY);
            INSERT INTO wal_top_a SELECT generate_series(1, 500);
            INSERT INTO wal_top_b SELECT generate_series(1, 500);
            """);
        var breakdown = await WalBreakdown.ReadAsync(dataSource, from, top: 2);
        Assert.Equal(2, breakdown["byRelation"]!.AsArray().Count);
        Assert.Equal(2, breakdown["byRecord"]!.AsArray().Count);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> WalOffsetAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
