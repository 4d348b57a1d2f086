using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Data;
using System.Threading.Channels;
using Coffre.Application.Audit;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>The audit log's writer (configuration section <c>Coffre:Audit:Postgres</c>).</summary>
public sealed class PostgresAuditLogOptions
{
    public const string Section = "Coffre:Audit:Postgres";

    /// <summary>Most events written in one transaction.</summary>
    [Range(1, 65_536)]
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>How long the writer waits for more events once a batch has started and is not full (at most 5 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.005")]
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Events waiting for the writer; appends wait (back-pressure) when it is full.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>Times a batch is retried after another writer appended to one of its vaults first.</summary>
    [Range(0, 100)]
    public int MaxConflictRetries { get; set; } = 5;

    /// <summary>Chain heads kept in memory; the cache is emptied when it grows past this.</summary>
    [Range(1, 10_000_000)]
    public int MaxCachedHeads { get; set; } = 100_000;
}

/// <summary>
/// The audit log on PostgreSQL (tables <c>audit_event</c> and <c>audit_head</c>, migration 0004). Appends are
/// batched: callers queue their event and wait; one writer loop takes up to <see cref="PostgresAuditLogOptions.MaxBatchSize"/>
/// events, chains them onto their vaults' heads (cached in memory), inserts them and moves the heads in one
/// transaction, and only after the commit completes the callers' tasks with their sequence numbers. If the batch
/// fails, every caller's task fails: an event is never acknowledged without its commit. If another process appended
/// to one of the vaults first (briefly possible after a failover), the primary key refuses the stale sequence; the
/// writer then forgets the batch's cached heads, re-reads them and retries. The rollout store is the other writer of
/// this process: an activation's settlement appends its event in its own transaction and tells the log
/// (<see cref="ExtendedElsewhere"/>), which drops those heads before its next batch.
/// </summary>
public sealed class PostgresAuditLog : IAuditLog, IAsyncDisposable
{
    private const string UniqueViolation = "23505";
    private const string DeadlockDetected = "40P01";
    private const string SerializationFailure = "40001";

    private static readonly string InsertEventsSql = $"INSERT INTO audit_event ({AuditEventRows.Columns}) SELECT * FROM unnest({AuditEventRows.Arguments(1)})";

    private readonly NpgsqlDataSource _dataSource;
    private readonly byte[] _headKey;
    private readonly PostgresAuditLogOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Dictionary<string, Head> _heads = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _extendedElsewhere = new();
    private readonly Task _writer;
    private int _disposed;

    public PostgresAuditLog(NpgsqlDataSource dataSource, byte[] headKey, PostgresAuditLogOptions? options = null, ILogger<PostgresAuditLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(headKey);
        AuditChain.CheckKey(headKey);
        _dataSource = dataSource;
        _headKey = headKey.ToArray();
        _options = options ?? new PostgresAuditLogOptions();
        // The same rules as the settings' validation at start (the options' annotations), for a log built directly.
        var failures = new List<ValidationResult>();
        if (!Validator.TryValidateObject(_options, new ValidationContext(_options), failures, validateAllProperties: true))
        {
            throw new ArgumentException("audit log options out of range: " + string.Join("; ", failures.Select(f => f.ErrorMessage)), nameof(options));
        }
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Queues the event and completes once it is committed. Cancelling stops waiting for the queue or the commit but
    /// does not withdraw an event already queued.
    /// </summary>
    public async Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        var normalised = AuditChain.Normalise(auditEvent);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var pending = new Pending(normalised);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(PostgresAuditLog));
        }
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<AuditPage> ReadAsync(string vaultId, long? beforeSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT coalesce((SELECT seq FROM audit_head WHERE vault_id = $1), 0)")
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = vaultId } },
                },
                new NpgsqlBatchCommand($"""
                    SELECT {EventColumns} FROM audit_event
                    WHERE vault_id = $1 AND seq < $2
                    ORDER BY seq DESC
                    LIMIT $3
                    """)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<string> { TypedValue = vaultId },
                        new NpgsqlParameter<long> { TypedValue = beforeSequence ?? long.MaxValue },
                        new NpgsqlParameter<long> { TypedValue = (long)limit + 1 },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<StoredAuditEvent>(Math.Min(limit, 1000));
        var hasMore = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == limit)
            {
                hasMore = true;
                break;
            }
            var link = ReadLink(reader, vaultId);
            items.Add(new StoredAuditEvent(link.Sequence, link.Event, AuditChain.ToHex(link.Hash)));
        }
        return new AuditPage(items, hasMore, total);
    }

    /// <summary>Streams the chain in sequence order inside one snapshot (appends may continue) and stops at the first break.</summary>
    public async Task<ChainVerification> VerifyAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        AuditHead? head = null;
        await using (var command = new NpgsqlCommand("SELECT seq, hash, mac FROM audit_head WHERE vault_id = $1", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = vaultId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                head = new AuditHead(vaultId, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
            }
        }
        var verifier = new AuditChainVerifier();
        await using (var command = new NpgsqlCommand($"SELECT {EventColumns} FROM audit_event WHERE vault_id = $1 ORDER BY seq", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = vaultId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!verifier.Add(ReadLink(reader, vaultId)))
                {
                    break;
                }
            }
        }
        await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
        return verifier.Complete(vaultId, head, _headKey);
    }

    /// <summary>Stops taking events, writes every queued one, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writer.ConfigureAwait(false);
            return;
        }
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private const string EventColumns =
        "seq, at, actor_kind, actor_id, actor_profession, action, operation, target, allowed, basis, reason, prev_hash, hash, count, first_at";

    private static AuditChainLink ReadLink(NpgsqlDataReader reader, string vaultId)
    {
        var auditEvent = new AuditEvent(
            vaultId,
            reader.GetFieldValue<DateTimeOffset>(1),
            (CallerKind)reader.GetInt16(2),
            reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            (AuditAction)reader.GetString(5)[0],
            reader.GetString(6),
            reader.GetString(7),
            reader.GetBoolean(8),
            (LegalBasis)reader.GetInt16(9),
            (DenialReason)reader.GetInt16(10),
            reader.GetInt32(13),
            reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14));
        return new AuditChainLink(reader.GetInt64(0), auditEvent, reader.GetFieldValue<byte[]>(11), reader.GetFieldValue<byte[]>(12));
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            if (batch.Count < _options.MaxBatchSize && _options.Linger > TimeSpan.Zero)
            {
                await LingerAsync(reader, batch).ConfigureAwait(false);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Never leave a caller waiting, whatever went wrong.
                _logger.LogError(e, "audit batch of {Count} events failed", batch.Count);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(e);
                }
            }
        }
    }

    /// <summary>Waits the linger once, then takes what arrived (one timer per batch, no wake-up per event).</summary>
    private async Task LingerAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        await Task.Delay(_options.Linger).ConfigureAwait(false);
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
        {
            batch.Add(item);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        var vaults = batch.Select(p => p.Event.VaultId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        for (var attempt = 0; ; attempt++)
        {
            var refused = new Dictionary<string, Exception>(StringComparer.Ordinal);
            try
            {
                var rows = await TryWriteAsync(batch, vaults, refused).ConfigureAwait(false);
                foreach (var (pending, sequence) in rows)
                {
                    pending.Completion.TrySetResult(sequence);
                }
                foreach (var pending in batch)
                {
                    if (refused.TryGetValue(pending.Event.VaultId, out var error))
                    {
                        pending.Completion.TrySetException(error);
                    }
                }
                return;
            }
            catch (PostgresException e) when (e.SqlState is UniqueViolation or DeadlockDetected or SerializationFailure && attempt < _options.MaxConflictRetries)
            {
                _logger.LogWarning("audit batch conflicted with another writer ({SqlState}), re-reading {Count} chain heads (attempt {Attempt})",
                    e.SqlState, vaults.Count, attempt + 1);
                ForgetHeads(vaults);
            }
            catch
            {
                // The outcome is unknown (the commit may or may not have happened): forget the heads, fail the callers.
                ForgetHeads(vaults);
                throw;
            }
        }
    }

    private async Task<List<(Pending Pending, long Sequence)>> TryWriteAsync(List<Pending> batch, List<string> vaults, Dictionary<string, Exception> refused)
    {
        while (_extendedElsewhere.TryDequeue(out var extended))
        {
            _heads.Remove(extended);
        }
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);

        var missing = vaults.Where(v => !_heads.ContainsKey(v)).ToArray();
        var read = missing.Length == 0 ? [] : await ReadHeadsAsync(connection, tx, missing).ConfigureAwait(false);

        // Chain each event onto its vault's head, in queue order within a vault.
        var heads = new Dictionary<string, Head>(StringComparer.Ordinal);
        foreach (var vault in vaults)
        {
            if (_heads.TryGetValue(vault, out var cached))
            {
                heads[vault] = cached;
            }
            else if (read.TryGetValue(vault, out var found))
            {
                if (found is null)
                {
                    refused[vault] = new AuditChainBrokenException(
                        "the audit chain head of this vault is missing although events exist: refusing to append until the chain is investigated");
                }
                else
                {
                    heads[vault] = found;
                }
            }
        }
        var rows = new List<(Pending Pending, long Sequence, byte[] PreviousHash, byte[] Hash)>(batch.Count);
        foreach (var pending in batch)
        {
            var vault = pending.Event.VaultId;
            if (!heads.TryGetValue(vault, out var head))
            {
                continue;
            }
            var hash = AuditChain.ComputeHash(head.Hash, pending.Event);
            rows.Add((pending, head.Sequence + 1, head.Hash, hash));
            heads[vault] = new Head(head.Sequence + 1, hash);
        }
        if (rows.Count == 0)
        {
            return [];
        }
        rows.Sort((a, b) =>
        {
            var byVault = string.CompareOrdinal(a.Pending.Event.VaultId, b.Pending.Event.VaultId);
            return byVault != 0 ? byVault : a.Sequence.CompareTo(b.Sequence);
        });

        var links = rows.Select(r => new AuditChainLink(r.Sequence, r.Pending.Event, r.PreviousHash, r.Hash)).ToList();

        var written = heads.OrderBy(h => h.Key, StringComparer.Ordinal).ToList();
        var headVaults = written.Select(h => h.Key).ToArray();
        var headSeqs = written.Select(h => h.Value.Sequence).ToArray();
        var headHashes = written.Select(h => h.Value.Hash).ToArray();
        var headMacs = written.Select(h => HeadMac(h.Key, h.Value.Sequence, h.Value.Hash)).ToArray();

        var events = new NpgsqlBatchCommand(InsertEventsSql);
        events.Parameters.AddRange(AuditEventRows.Parameters(links));
        await using (var write = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                events,
                new NpgsqlBatchCommand("""
                    INSERT INTO audit_head (vault_id, seq, hash, mac)
                    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[])
                    ON CONFLICT (vault_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac
                    """)
                {
                    Parameters =
                    {
                        Array(headVaults, NpgsqlDbType.Text),
                        Array(headSeqs, NpgsqlDbType.Bigint),
                        Array(headHashes, NpgsqlDbType.Bytea),
                        Array(headMacs, NpgsqlDbType.Bytea),
                    },
                },
            },
        })
        {
            await write.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await tx.CommitAsync().ConfigureAwait(false);

        if (_heads.Count + written.Count > _options.MaxCachedHeads)
        {
            _heads.Clear();
        }
        foreach (var (vault, head) in written)
        {
            _heads[vault] = head;
        }
        return rows.Select(r => (r.Pending, r.Sequence)).ToList();
    }

    /// <summary>
    /// Heads of vaults not cached, locked until the commit (so a retry after a conflict cannot lose again to a writer
    /// that was mid-way): the stored head, a new chain (no head, no events), or null when events exist without a head.
    /// </summary>
    private static async Task<Dictionary<string, Head?>> ReadHeadsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string[] vaults)
    {
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                // The head tables start empty and grow by a row per vault: a plan cached while they were small (Npgsql
                // prepares these statements, PostgreSQL then keeps a generic plan until the next ANALYZE) scans the whole
                // table for every batch — 19 ms a batch at 40 000 heads, measured. Planned for each batch instead (this
                // transaction only), they stay index probes at any size.
                new NpgsqlBatchCommand("SET LOCAL plan_cache_mode = force_custom_plan"),
                new NpgsqlBatchCommand("SELECT vault_id, seq, hash FROM audit_head WHERE vault_id = ANY($1) ORDER BY vault_id FOR UPDATE")
                {
                    Parameters = { Array(vaults, NpgsqlDbType.Text) },
                },
                new NpgsqlBatchCommand("""
                    SELECT v FROM unnest($1::text[]) AS v
                    WHERE NOT EXISTS (SELECT 1 FROM audit_head h WHERE h.vault_id = v)
                      AND EXISTS (SELECT 1 FROM audit_event e WHERE e.vault_id = v)
                    """)
                {
                    Parameters = { Array(vaults, NpgsqlDbType.Text) },
                },
            },
        };
        var heads = vaults.ToDictionary(v => v, v => (Head?)new Head(0, AuditChain.Genesis.ToArray()), StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            heads[reader.GetString(0)] = new Head(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
        await reader.NextResultAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            heads[reader.GetString(0)] = null;
        }
        return heads;
    }

    /// <summary>
    /// These chains were extended by another writer of this process (an activation's settlement appends its event in
    /// its own transaction): their cached heads are dropped before the next batch, instead of a conflict and a retry.
    /// Thread-safe.
    /// </summary>
    internal void ExtendedElsewhere(IEnumerable<string> vaultIds)
    {
        foreach (var vaultId in vaultIds)
        {
            _extendedElsewhere.Enqueue(vaultId);
        }
    }

    /// <summary>The MAC of a head this log's key signs (for a writer that extends a chain in its own transaction).</summary>
    internal byte[] HeadMac(string vaultId, long sequence, byte[] hash) => AuditChain.ComputeHeadMac(_headKey, vaultId, sequence, hash);

    private void ForgetHeads(List<string> vaults)
    {
        foreach (var vault in vaults)
        {
            _heads.Remove(vault);
        }
    }

    private static NpgsqlParameter<T[]> Array<T>(T[] values, NpgsqlDbType elementType) => AuditEventRows.Array(values, elementType);

    private sealed record Head(long Sequence, byte[] Hash);

    private sealed class Pending(AuditEvent auditEvent)
    {
        public AuditEvent Event { get; } = auditEvent;
        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A vault's stored chain is in a state the log refuses to extend (its head is missing).</summary>
public sealed class AuditChainBrokenException(string message) : Exception(message);
