using Coffre.Application.Outbox;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// The outbox on PostgreSQL (table <c>outbox</c>, migration 0004). Times come from the database clock
/// (<c>now()</c>), so every process agrees on when a message is due. Enqueueing is one multi-row
/// <c>INSERT ... ON CONFLICT (id) DO NOTHING</c>, or for lists longer than <paramref name="copyThreshold"/> a binary
/// COPY into a temporary table followed by the same insert, in one transaction. Claims take due rows with
/// <c>FOR UPDATE SKIP LOCKED</c> and move their <c>available_at</c> past the lease.
/// </summary>
public sealed class PostgresOutbox(NpgsqlDataSource dataSource, int copyThreshold = 2000) : IOutbox
{
    private const string Columns = "id, channel, recipient, kind, payload::text, created_at, delivered_at, attempts, outcome, available_at";

    public async Task EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        var rows = OutboxRules.Normalise(messages);
        if (rows.Length == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Length <= copyThreshold)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO outbox (id, channel, recipient, kind, payload, created_at, available_at)
                SELECT u.id, u.channel, u.recipient, u.kind, u.payload::jsonb, u.created_at, now()
                FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                     AS u(id, channel, recipient, kind, payload, created_at)
                ON CONFLICT (id) DO NOTHING
                """, connection)
            {
                Parameters =
                {
                    Array(rows.Select(m => m.Id).ToArray(), NpgsqlDbType.Uuid),
                    Array(rows.Select(m => (short)m.Channel).ToArray(), NpgsqlDbType.Smallint),
                    Array(rows.Select(m => m.Recipient).ToArray(), NpgsqlDbType.Text),
                    Array(rows.Select(m => m.Kind).ToArray(), NpgsqlDbType.Text),
                    Array(rows.Select(m => m.PayloadJson).ToArray(), NpgsqlDbType.Text),
                    Array(rows.Select(m => m.CreatedAt).ToArray(), NpgsqlDbType.TimestampTz),
                },
            };
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand("""
            CREATE TEMP TABLE outbox_incoming (
                id uuid, channel smallint, recipient text, kind text, payload jsonb, created_at timestamptz
            ) ON COMMIT DROP
            """, connection, tx))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY outbox_incoming (id, channel, recipient, kind, payload, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var m in rows)
            {
                await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(m.Id, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync((short)m.Channel, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(m.Recipient, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(m.Kind, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(m.PayloadJson, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(m.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO outbox (id, channel, recipient, kind, payload, created_at, available_at)
            SELECT id, channel, recipient, kind, payload, created_at, now() FROM outbox_incoming
            ON CONFLICT (id) DO NOTHING
            """, connection, tx))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        OutboxRules.Lease(lease);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            WITH due AS (
                SELECT id FROM outbox
                WHERE delivered_at IS NULL AND available_at <= now()
                ORDER BY available_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE outbox o
            SET available_at = now() + $2, lease_until = now() + $2
            FROM due
            WHERE o.id = due.id
            RETURNING {Prefixed("o.")}
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<int> { TypedValue = max },
                new NpgsqlParameter<TimeSpan> { TypedValue = lease, NpgsqlDbType = NpgsqlDbType.Interval },
            },
        };
        var claimed = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        claimed.Sort((a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return claimed;
    }

    public async Task MarkDeliveredAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE outbox SET delivered_at = now(), lease_until = NULL
            WHERE id = ANY($1) AND delivered_at IS NULL
            """, connection)
        {
            Parameters = { Array(ids.ToArray(), NpgsqlDbType.Uuid) },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkFailedAsync(Guid id, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE outbox
            SET attempts = attempts + 1, available_at = now() + $3, lease_until = NULL, last_error = $2
            WHERE id = $1 AND delivered_at IS NULL
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = id },
                new NpgsqlParameter<string> { TypedValue = OutboxRules.Error(error) },
                new NpgsqlParameter<TimeSpan> { TypedValue = retryAfter, NpgsqlDbType = NpgsqlDbType.Interval },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkUndeliverableAsync(Guid id, DeliveryOutcome outcome, string reason, CancellationToken cancellationToken = default)
    {
        if (outcome == DeliveryOutcome.Delivered || !Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), "a message is settled as bounced or undeliverable");
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE outbox
            SET delivered_at = now(), outcome = $2, lease_until = NULL, last_error = $3, attempts = attempts + 1
            WHERE id = $1 AND delivered_at IS NULL
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = id },
                new NpgsqlParameter<short> { TypedValue = (short)outcome },
                new NpgsqlParameter<string> { TypedValue = OutboxRules.Error(reason) },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeferAsync(Guid id, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE outbox SET available_at = $2, lease_until = NULL
            WHERE id = $1 AND delivered_at IS NULL
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = id },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = until.ToUniversalTime() },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<OutboxMessage>> ListDeliveriesAsync(DeliveryQuery query, CancellationToken cancellationToken = default)
    {
        OutboxRules.Query(query);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Newest first by (created_at, id); served by the primary key (one message) or outbox_recipient_idx.
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM outbox
            WHERE ($1::uuid IS NULL OR id = $1) AND ($2::text IS NULL OR recipient = $2)
              AND ($3::smallint[] IS NULL OR channel = ANY($3))
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT $6
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = (object?)query.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
                new NpgsqlParameter { Value = (object?)query.Recipient ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = query.Channels is null ? DBNull.Value : query.Channels.Select(c => (short)c).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint },
                new NpgsqlParameter { Value = query.After is null ? DBNull.Value : query.After.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new NpgsqlParameter { Value = query.After is null ? DBNull.Value : query.After.Id, NpgsqlDbType = NpgsqlDbType.Uuid },
                new NpgsqlParameter<int> { TypedValue = query.First },
            },
        };
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How a message left the outbox (for operators and tests), null when no such message.</summary>
    public async Task<DeliveryOutcome?> OutcomeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT outcome FROM outbox WHERE id = $1", connection)
        {
            Parameters = { new NpgsqlParameter<Guid> { TypedValue = id } },
        };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is short outcome ? (DeliveryOutcome)outcome : null;
    }

    public async Task<IReadOnlyList<OutboxMessage>> ListForRecipientAsync(string recipient, int limit, CancellationToken cancellationToken = default, OutboxChannel? channel = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(recipient);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM outbox
            WHERE recipient = $1 {(channel is null ? "" : "AND channel = $3")}
            ORDER BY created_at DESC, id DESC
            LIMIT $2
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = recipient },
                new NpgsqlParameter<int> { TypedValue = limit },
            },
        };
        if (channel is { } only)
        {
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)only });
        }
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last error recorded for a message (for operators and tests; never logged).</summary>
    public async Task<string?> LastErrorAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT last_error FROM outbox WHERE id = $1", connection)
        {
            Parameters = { new NpgsqlParameter<Guid> { TypedValue = id } },
        };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private static string Prefixed(string alias) =>
        string.Join(", ", Columns.Split(", ").Select(c => alias + c));

    private static async Task<List<OutboxMessage>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new OutboxMessage(
                reader.GetGuid(0),
                (OutboxChannel)reader.GetInt16(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetInt32(7),
                (DeliveryOutcome)reader.GetInt16(8),
                reader.IsDBNull(6) ? reader.GetFieldValue<DateTimeOffset>(9) : null));
        }
        return list;
    }

    private static NpgsqlParameter<T[]> Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
