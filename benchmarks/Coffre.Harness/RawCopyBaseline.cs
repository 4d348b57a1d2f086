using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Coffre.Domain.Content;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// The machine's limit for the issuance rows: raw binary COPY of rows shaped exactly like <c>activation_code</c> rows
/// (same columns and types as the store's COPY, random bytes for the hashes) into a scratch table with the same
/// definition and indexes (<c>LIKE activation_code INCLUDING ALL</c> in schema <c>bench_raw</c>), one transaction per
/// chunk of the issuance's size, as many concurrent writers as the issuance, synchronous_commit on. No code
/// generation, no HMAC, no print file, no outbox: only what PostgreSQL must do to store the codes. Optionally a second
/// run also COPYs outbox-shaped rows for the email share (the issuance's whole write set) into a LIKE outbox table.
/// </summary>
public static class RawCopyBaseline
{
    public const string Schema = "bench_raw";
    private const int FlushBytes = 256 * 1024;
    private static readonly byte[] Header = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] Kind = Encoding.UTF8.GetBytes("activation-code");
    private static readonly long PostgresEpochTicks = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public sealed record Result(long Rows, long OutboxRows, int Chunks, double Seconds)
    {
        public double RowsPerSecond => Rows / Math.Max(Seconds, 1e-6);
    }

    /// <param name="withoutIndexes">Columns, defaults and identity only: no primary key, index or check constraint.</param>
    public static async Task PrepareAsync(NpgsqlDataSource dataSource, bool withOutbox, bool withoutIndexes = false)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"""
            DROP SCHEMA IF EXISTS {Schema} CASCADE;
            CREATE SCHEMA {Schema};
            CREATE TABLE {Schema}.activation_code (LIKE public.activation_code {(withoutIndexes ? "INCLUDING DEFAULTS INCLUDING IDENTITY" : "INCLUDING ALL")});
            {(withOutbox ? $"CREATE TABLE {Schema}.outbox (LIKE public.outbox INCLUDING ALL);" : "")}
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The limit table: the minimal durable row of a code (person hash, code hash, expiry), no index, no constraint.</summary>
    public static async Task PrepareLimitAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"""
            DROP SCHEMA IF EXISTS {Schema} CASCADE;
            CREATE SCHEMA {Schema};
            CREATE TABLE {Schema}.limit_code (nir_hash bytea NOT NULL, code_hash bytea NOT NULL, expires_at timestamptz NOT NULL);
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// What this machine can do that day for issuance: per chunk, the chunk's print-batch bytes (random, the size the
    /// issuance's letters took) written to the content store, then a binary COPY of the minimal durable rows into the
    /// unindexed limit table, one durable transaction per chunk, as many writers as the issuance.
    /// </summary>
    public static async Task<Result> RunLimitAsync(NpgsqlDataSource dataSource, IContentStore content, long rows, int chunkSize, int writers,
        double postShare, double bytesPerLetter)
    {
        var chunks = (int)((rows + chunkSize - 1) / chunkSize);
        var next = -1;
        var expiresAt = DateTimeOffset.UtcNow.AddDays(42);
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(2000 + w);
            var buffer = new ArrayBufferWriter<byte>(FlushBytes + 64 * 1024);
            while (true)
            {
                var chunk = Interlocked.Increment(ref next);
                if (chunk >= chunks)
                {
                    return;
                }
                var count = (int)Math.Min(chunkSize, rows - (long)chunk * chunkSize);
                var letterBytes = (int)Math.Round(count * postShare * bytesPerLetter);
                if (letterBytes > 0)
                {
                    var file = new byte[letterBytes];
                    random.NextBytes(file);
                    using var stream = new MemoryStream(file, writable: false);
                    await content.WriteAsync(new ContentKey($"bench-limit/batch-{chunk:D6}.csv"), stream, null, CancellationToken.None);
                }
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var tx = await connection.BeginTransactionAsync();
                await CopyAsync(connection, $"COPY {Schema}.limit_code (nir_hash, code_hash, expires_at) FROM STDIN (FORMAT BINARY)", buffer, count, (b, _) =>
                {
                    Row(b, 3);
                    RandomBytes(b, random, 32);
                    RandomBytes(b, random, 32);
                    Timestamp(b, expiresAt);
                });
                await tx.CommitAsync();
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var seconds = clock.Elapsed.TotalSeconds;
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            await content.DeleteAsync(new ContentKey($"bench-limit/batch-{chunk:D6}.csv"));
        }
        return new Result(rows, 0, chunks, seconds);
    }

    public static async Task DropAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <param name="postShare">Fraction of rows sent by post (channel 1, with a batch number), as in the issuance.</param>
    /// <param name="sortedPerChunk">Person numbers random across the run, each chunk's sorted before its COPY (the sort in
    /// the timed work): how codes entered the unique index on valid codes until migration 0024, when it was keyed by the NIR
    /// hash and issuance sorted each chunk of a registry scan. False: person numbers ascending across the run (chunk ×
    /// chunk size + row), as issuance writes them since (a scan follows the numbers an import gave). NIR hashes are random.</param>
    public static async Task<Result> RunAsync(NpgsqlDataSource dataSource, long rows, int chunkSize, int writers, double postShare, bool withOutbox,
        bool sortedPerChunk = false)
    {
        var chunks = (int)((rows + chunkSize - 1) / chunkSize);
        var next = -1;
        long outboxRows = 0;
        var issuedAt = DateTimeOffset.UtcNow;
        var expiresAt = issuedAt.AddDays(42);
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            var buffer = new ArrayBufferWriter<byte>(FlushBytes + 64 * 1024);
            var campaign = "bench"u8.ToArray();
            while (true)
            {
                var chunk = Interlocked.Increment(ref next);
                if (chunk >= chunks)
                {
                    return;
                }
                var count = (int)Math.Min(chunkSize, rows - (long)chunk * chunkSize);
                var channels = new bool[count]; // true = post
                for (var i = 0; i < count; i++)
                {
                    channels[i] = random.NextDouble() < postShare;
                }
                long[]? numbers = null;
                if (sortedPerChunk)
                {
                    numbers = new long[count];
                    for (var i = 0; i < count; i++)
                    {
                        numbers[i] = random.NextInt64();
                    }
                    Array.Sort(numbers);
                }
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var tx = await connection.BeginTransactionAsync();
                await CopyAsync(connection, $"COPY {Schema}.activation_code (campaign_id, nir_hash, person_no, key_id, code_hash, issued_at, expires_at, channel, batch_no) FROM STDIN (FORMAT BINARY)",
                    buffer, count, (b, i) =>
                    {
                        Row(b, 9);
                        Bytes(b, campaign);
                        RandomBytes(b, random, 32);
                        Int64(b, numbers?[i] ?? (long)chunk * chunkSize + i);
                        Int16(b, 1);
                        RandomBytes(b, random, 32);
                        Timestamp(b, issuedAt);
                        Timestamp(b, expiresAt);
                        Int16(b, (short)(channels[i] ? 1 : 0));
                        if (channels[i])
                        {
                            Int32(b, chunk + 1);
                        }
                        else
                        {
                            Null(b);
                        }
                    });
                if (withOutbox)
                {
                    var payload = new byte[160];
                    var emails = 0;
                    await CopyAsync(connection, $"COPY {Schema}.outbox (id, channel, recipient, kind, payload, created_at, available_at) FROM STDIN (FORMAT BINARY)",
                        buffer, count, (b, i) =>
                        {
                            if (channels[i])
                            {
                                return;
                            }
                            emails++;
                            Row(b, 7);
                            Uuid(b, Guid.CreateVersion7());
                            Int16(b, 0);
                            RandomText(b, random, 22);
                            Bytes(b, Kind);
                            Jsonb(b, random, payload);
                            Timestamp(b, issuedAt);
                            Timestamp(b, issuedAt);
                        });
                    Interlocked.Add(ref outboxRows, emails);
                }
                await tx.CommitAsync();
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return new Result(rows, outboxRows, chunks, clock.Elapsed.TotalSeconds);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string sql, ArrayBufferWriter<byte> buffer, int count, Action<ArrayBufferWriter<byte>, int> row)
    {
        await using var copy = await connection.BeginRawBinaryCopyAsync(sql);
        buffer.ResetWrittenCount();
        buffer.Write(Header);
        for (var i = 0; i < count; i++)
        {
            row(buffer, i);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await copy.WriteAsync(buffer.WrittenMemory);
                buffer.ResetWrittenCount();
            }
        }
        buffer.Write<byte>([0xff, 0xff]);
        await copy.WriteAsync(buffer.WrittenMemory);
        buffer.ResetWrittenCount();
    }

    private static void Row(IBufferWriter<byte> b, short fields)
    {
        BinaryPrimitives.WriteInt16BigEndian(b.GetSpan(2), fields);
        b.Advance(2);
    }

    private static void Length(IBufferWriter<byte> b, int length)
    {
        BinaryPrimitives.WriteInt32BigEndian(b.GetSpan(4), length);
        b.Advance(4);
    }

    private static void Null(IBufferWriter<byte> b) => Length(b, -1);

    private static void Bytes(IBufferWriter<byte> b, ReadOnlySpan<byte> value)
    {
        Length(b, value.Length);
        b.Write(value);
    }

    private static void RandomBytes(IBufferWriter<byte> b, Random random, int length)
    {
        Length(b, length);
        random.NextBytes(b.GetSpan(length)[..length]);
        b.Advance(length);
    }

    private static void RandomText(IBufferWriter<byte> b, Random random, int length)
    {
        Length(b, length);
        var span = b.GetSpan(length)[..length];
        for (var i = 0; i < length; i++)
        {
            span[i] = (byte)('a' + random.Next(26));
        }
        b.Advance(length);
    }

    /// <summary>A JSON object of about the size of an activation email payload (jsonb binary format: version 1 + text).</summary>
    private static void Jsonb(IBufferWriter<byte> b, Random random, byte[] scratch)
    {
        random.NextBytes(scratch.AsSpan(0, 44));
        var json = $"{{\"campaign\":\"bench\",\"keyId\":1,\"nonce\":\"{Convert.ToBase64String(scratch, 0, 12)}\",\"ciphertext\":\"{Convert.ToBase64String(scratch, 12, 27)}\",\"expiresAt\":\"2027-01-01T00:00:00Z\"}}";
        var bytes = Encoding.UTF8.GetBytes(json);
        Length(b, bytes.Length + 1);
        b.Write<byte>([1]);
        b.Write(bytes);
    }

    private static void Int16(IBufferWriter<byte> b, short value)
    {
        Length(b, 2);
        BinaryPrimitives.WriteInt16BigEndian(b.GetSpan(2), value);
        b.Advance(2);
    }

    private static void Int32(IBufferWriter<byte> b, int value)
    {
        Length(b, 4);
        BinaryPrimitives.WriteInt32BigEndian(b.GetSpan(4), value);
        b.Advance(4);
    }

    private static void Int64(IBufferWriter<byte> b, long value)
    {
        Length(b, 8);
        BinaryPrimitives.WriteInt64BigEndian(b.GetSpan(8), value);
        b.Advance(8);
    }

    private static void Timestamp(IBufferWriter<byte> b, DateTimeOffset value) =>
        Int64(b, (value.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);

    private static void Uuid(IBufferWriter<byte> b, Guid value)
    {
        Length(b, 16);
        value.TryWriteBytes(b.GetSpan(16), bigEndian: true, out _);
        b.Advance(16);
    }
}
