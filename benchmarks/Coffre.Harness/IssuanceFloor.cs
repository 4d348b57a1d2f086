using System.Diagnostics;
using Coffre.Domain.Rollout;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// The parts of issuance that no design can leave out, each measured alone at its cheapest in the same run, so a report
/// can say how fast this machine could issue with nothing else (the issuance floor, <see cref="MacroHarness"/>'s
/// <c>issuanceFloor</c>): reading each person's key and contact from the registry (here), minting a code and its keyed
/// hash (here), storing the code rows under the indexes activation needs (the raw COPY phases) and the letters' bytes in
/// the content store (the limit phase's content-store CPU).
/// </summary>
public static class IssuanceFloor
{
    /// <summary>
    /// The least a read of the registry for issuance returns: every registered person's key, contact and what a letter
    /// and the minors' rule need (no vault id: it derives from the key; no representatives' lookups).
    /// </summary>
    private const string Columns = "nir_hash, person_no, email, given_names, family_name, address_line1, address_line2, postal_code, city, birth_date";

    public sealed record ReadResult(long Rows, long Bytes, double Seconds);

    /// <summary>Registered people counted before the timer (what the reads return).</summary>
    public static async Task<long> CountRegisteredAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM registry_person WHERE status = 0", connection);
        command.CommandTimeout = 0;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The registered people's <see cref="Columns"/> as PostgreSQL's binary COPY hands them out from a sequential scan,
    /// bytes discarded (no parsing). Since migration 0024 the scan's order is about the order of the code rows' unique
    /// index (person numbers follow the registry's physical order); until then the floor also read the registry by
    /// walking its primary key, the NIR-hash order that index took then.
    /// </summary>
    public static async Task<ReadResult> ReadRegistryAsync(NpgsqlDataSource dataSource, long rows)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync();
        var bytes = 0L;
        var buffer = new byte[256 * 1024];
        await using (var copy = await connection.BeginRawBinaryCopyAsync(
            $"COPY (SELECT {Columns} FROM registry_person WHERE status = 0) TO STDOUT (FORMAT BINARY)"))
        {
            int read;
            while ((read = await copy.ReadAsync(buffer, 0, buffer.Length)) > 0)
            {
                bytes += read;
            }
        }
        return new ReadResult(rows, bytes, clock.Elapsed.TotalSeconds);
    }

    public sealed record MintResult(long Codes, double Seconds, int Threads, long Checksum);

    /// <summary>
    /// <paramref name="codes"/> codes drawn from the CSPRNG and hashed with the code key (<see cref="ActivationCodes"/>,
    /// <see cref="CodeHasher.HashMany"/>: what issuance does per person, a chunk's codes hashed at once), on
    /// <paramref name="threads"/> threads; nothing stored.
    /// </summary>
    public static MintResult Mint(CodeHasher hasher, long codes, int threads)
    {
        const int Block = 1024;
        var clock = Stopwatch.StartNew();
        var checksum = 0L;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            Span<char> code = stackalloc char[ActivationCodes.CanonicalLength];
            var ascii = new byte[Block * ActivationCodes.CanonicalLength];
            var hashes = new byte[Block * CodeHasher.HashSize];
            var mine = codes / threads + (t < codes % threads ? 1 : 0);
            long local = 0;
            for (long done = 0; done < mine; done += Block)
            {
                var n = (int)Math.Min(Block, mine - done);
                for (var i = 0; i < n; i++)
                {
                    ActivationCodes.Generate(code);
                    System.Text.Ascii.FromUtf16(code, ascii.AsSpan(i * ActivationCodes.CanonicalLength), out _);
                }
                hasher.HashMany(hasher.CurrentKeyId, ascii.AsSpan(0, n * ActivationCodes.CanonicalLength), ActivationCodes.CanonicalLength, hashes);
                for (var i = 0; i < n; i++)
                {
                    local += hashes[i * CodeHasher.HashSize];
                }
            }
            Interlocked.Add(ref checksum, local);
        });
        return new MintResult(codes, clock.Elapsed.TotalSeconds, threads, checksum);
    }
}
