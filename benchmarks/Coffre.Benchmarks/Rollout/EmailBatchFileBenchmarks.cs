using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;

namespace Coffre.Benchmarks.Rollout;

/// <summary>
/// What a chunk's email batch file costs the issuing process per email, sealing included: version 3, written since
/// 2026-12-07 (<see cref="EmailBatchFiles.Write"/>: 45 bytes an email, every code of the batch sealed in ONE AES-256-GCM
/// operation), against the same-run baseline of version 2 (each code sealed alone as it was added, one AES-GCM call per
/// email, then a 75-byte record). The content store's cost grows with the bytes; this measures the issuing process.
/// </summary>
[MemoryDiagnoser]
public class EmailBatchFileBenchmarks
{
    private const int Emails = 10_000;

    private readonly ArrayBufferWriter<byte> _file = new(Emails * 80);
    private readonly byte[] _sealed = new byte[DeliveryCodeCipher.SealedSize];
    private IssuanceChunk _chunk = null!;
    private DeliveryCodeCipher _cipher = null!;
    private string[] _codes = null!;
    private string[] _vaults = null!;

    [GlobalSetup]
    public void Setup()
    {
        var expires = new DateTimeOffset(2027, 1, 15, 10, 0, 0, TimeSpan.Zero);
        _cipher = new DeliveryCodeCipher(1, RandomNumberGenerator.GetBytes(DeliveryCodeCipher.KeySize));
        _chunk = new IssuanceChunk(Emails);
        _chunk.Reset("c-2027", 1, expires.AddDays(-42), expires);
        _chunk.BatchNo = 7;
        _codes = new string[Emails];
        _vaults = new string[Emails];
        for (var i = 0; i < Emails; i++)
        {
            _codes[i] = ActivationCodes.Generate();
            _vaults[i] = $"v{i:D21}";
            _chunk.AddEmail(RandomNumberGenerator.GetBytes(32), i, _vaults[i], _codes[i]);
        }
        _chunk.HashCodes(new CodeHasher(new Dictionary<short, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) }, 1));
    }

    /// <summary>The same-run baseline: version 2, each code sealed alone, then its 75-byte record.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Emails)]
    public int WriteSealedRecords()
    {
        _file.ResetWrittenCount();
        _file.Write(Encoding.UTF8.GetBytes($"coffre-email-batch 2 {_chunk.CampaignId} {_chunk.BatchNo} {_chunk.ExpiresAt.ToUnixTimeSeconds()} {EmailBatchFiles.SealedRecordSize}\n"));
        var template = _cipher.Template(_chunk.CampaignId, _chunk.ExpiresAt);
        for (var i = 0; i < _chunk.Count; i++)
        {
            _cipher.Seal(template, _vaults[i], _codes[i], _sealed);
            var record = _file.GetSpan(EmailBatchFiles.SealedRecordSize)[..EmailBatchFiles.SealedRecordSize];
            _chunk.VaultIdAscii(i).CopyTo(record);
            _chunk.CodeHash(i)[..EmailBatchFiles.CodeHashPrefix].CopyTo(record[IssuanceChunk.VaultIdLength..]);
            _sealed.CopyTo(record[EmailBatchFiles.ClearRecordSize..]);
            _file.Advance(EmailBatchFiles.SealedRecordSize);
        }
        return _file.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Emails)]
    public int WriteBatchSealed()
    {
        _file.ResetWrittenCount();
        EmailBatchFiles.Write(_file, _chunk, _cipher);
        return _file.WrittenCount;
    }
}
