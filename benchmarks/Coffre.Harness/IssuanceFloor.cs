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
    /// <see cref="CodeHasher"/>: what issuance does per person), on <paramref name="threads"/> threads; nothing stored.
    /// </summary>
    public static MintResult Mint(CodeHasher hasher, long codes, int threads)
    {
        var clock = Stopwatch.StartNew();
        var checksum = 0L;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            Span<char> code = stackalloc char[ActivationCodes.CanonicalLength];
            Span<byte> hash = stackalloc byte[CodeHasher.HashSize];
            var mine = codes / threads + (t < codes % threads ? 1 : 0);
            long local = 0;
            for (long i = 0; i < mine; i++)
            {
                ActivationCodes.Generate(code);
                hasher.Hash(code, hash);
                local += hash[0];
            }
            Interlocked.Add(ref checksum, local);
        });
        return new MintResult(codes, clock.Elapsed.TotalSeconds, threads, checksum);
    }
}
