using Coffre.Application.Events;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// The vault event log in PostgreSQL (deploy/sql/0016_vault_events.sql). An append is one statement in one transaction:
/// it bumps each vault's head row by its number of events (locked until commit, which orders one vault's writers) and
/// inserts the events at the positions below the new head. The events go in sorted by vault id (stably: one vault's
/// events keep their order) and the heads are upserted in that order, so two silos appending batches over the same
/// vaults lock the head rows in the same order and cannot deadlock; the positions are mapped back to the caller's order. A deadlock, serialization failure or transient
/// error anyway (a failover) rolls the transaction back and is retried, up to <see cref="Attempts"/> times in all.
/// </summary>
public sealed class PostgresVaultEventLog(NpgsqlDataSource dataSource) : IVaultEventLog
{
    /// <summary>Tries of one append before its error is given to the caller (who counts the events as lost).</summary>
    public const int Attempts = 3;

    /// <summary>
    /// The whole batch in one statement: per vault, its head moves by the vault's number of events (upserted in vault id
    /// order), and its events take the positions just below the new head, in the batch's order. Positions come back in
    /// the input's order. One statement for the batch instead of one per event (one parse, plan and round trip).
    /// </summary>
    private const string AppendSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::smallint[], $4::text[], $5::timestamptz[])
                WITH ORDINALITY AS i(vault_id, event_id, kind, subject_id, at, ord)
        ), counts AS (
            SELECT vault_id, count(*) AS n FROM input GROUP BY vault_id
        ), heads AS (
            INSERT INTO vault_event_head AS h (vault_id, last_position)
            SELECT vault_id, n FROM counts ORDER BY vault_id COLLATE "C"
            ON CONFLICT (vault_id) DO UPDATE SET last_position = h.last_position + excluded.last_position
            RETURNING h.vault_id, h.last_position
        ), numbered AS (
            SELECT i.ord, i.vault_id, i.event_id, i.kind, i.subject_id, i.at,
                   heads.last_position - c.n + row_number() OVER (PARTITION BY i.vault_id ORDER BY i.ord) AS position
            FROM input i JOIN counts c ON c.vault_id = i.vault_id JOIN heads ON heads.vault_id = i.vault_id
        ), inserted AS (
            INSERT INTO vault_event (vault_id, position, event_id, kind, subject_id, at)
            SELECT vault_id, position, event_id, kind, subject_id, at FROM numbered
        )
        SELECT position FROM numbered ORDER BY ord
        """;

    public async Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<LoggedVaultEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return [];
        }
        // Indexes of the events in lock order (OrderBy is stable: one vault's events stay in the caller's order).
        var order = Enumerable.Range(0, events.Count).OrderBy(i => events[i].VaultId, StringComparer.Ordinal).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var sorted = await AppendInOrderAsync([.. order.Select(i => events[i])], cancellationToken).ConfigureAwait(false);
                var positions = new long[events.Count];
                for (var k = 0; k < order.Length; k++)
                {
                    positions[order[k]] = sorted[k];
                }
                return positions;
            }
            catch (Exception e) when (attempt < Attempts && Retryable(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt * (1 + Random.Shared.NextDouble())), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deadlock (40P01), serialization failure (40001) or what Npgsql deems transient (connection lost, failover).</summary>
    public static bool Retryable(Exception e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };

    private async Task<List<long>> AppendInOrderAsync(IReadOnlyList<LoggedVaultEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(AppendSql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.VaultId)] });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. events.Select(e => e.Id)] });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. events.Select(e => checked((short)e.Kind))] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.SubjectId)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. events.Select(e => e.At.ToUniversalTime())] });
        var positions = new List<long>(events.Count);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                positions.Add(reader.GetInt64(0));
            }
        }
        try
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            // The connection failed during the commit: it may have gone through, so appending again could log the
            // events twice at new positions. Not retried (the publisher counts the batch as dropped).
            throw new CommitOutcomeUnknownException(e);
        }
        return positions;
    }

    /// <summary>A commit whose outcome is unknown (the connection failed during it): never retried.</summary>
    private sealed class CommitOutcomeUnknownException(Exception inner)
        : Exception("the vault event log's commit outcome is unknown (connection lost during commit)", inner);

    public async Task<IReadOnlyList<StoredVaultEvent>> ReadAsync(string vaultId, long after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var command = dataSource.CreateCommand("""
            SELECT position, event_id, kind, subject_id, at FROM vault_event
            WHERE vault_id = $1 AND position > $2 ORDER BY position LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = vaultId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var items = new List<StoredVaultEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new StoredVaultEvent(reader.GetInt64(0),
                new LoggedVaultEvent(reader.GetGuid(1), vaultId, reader.GetInt16(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4))));
        }
        return items;
    }

    public async Task<long> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM vault_event WHERE at < $1");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = before.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
