using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;

namespace Coffre.Benchmarks.Rollout;

/// <summary>
/// A chunk's email batch file, per email: the binary records issuance writes since 2026-12-07
/// (<see cref="EmailBatchFiles.Write"/>, 75 bytes) against the same-run baseline of the text lines it wrote before
/// (format 1: vault id, the whole code hash and the sealed code in base64, about 124 bytes). What the file costs the
/// content store grows with its bytes; this measures what writing them costs the issuing process.
/// </summary>
[MemoryDiagnoser]
public class EmailBatchFileBenchmarks
{
    private const int Emails = 10_000;

    private readonly ArrayBufferWriter<byte> _file = new(Emails * 128);
    private IssuanceChunk _chunk = null!;

    [GlobalSetup]
    public void Setup()
    {
        var expires = new DateTimeOffset(2027, 1, 15, 10, 0, 0, TimeSpan.Zero);
        var cipher = new DeliveryCodeCipher(1, RandomNumberGenerator.GetBytes(DeliveryCodeCipher.KeySize));
        var template = cipher.Template("c-2027", expires);
        _chunk = new IssuanceChunk(Emails);
        _chunk.Reset("c-2027", 1, expires.AddDays(-42), expires);
        _chunk.BatchNo = 7;
        Span<byte> sealedCode = stackalloc byte[DeliveryCodeCipher.SealedSize];
        for (var i = 0; i < Emails; i++)
        {
            var vault = $"v{i:D21}";
            cipher.Seal(template, vault, ActivationCodes.Generate(), sealedCode);
            _chunk.AddEmail(RandomNumberGenerator.GetBytes(32), i, vault, RandomNumberGenerator.GetBytes(32), sealedCode);
        }
    }

    /// <summary>The same-run baseline: format 1's text lines, from the same sealed codes.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Emails)]
    public int WriteTextLines()
    {
        _file.ResetWrittenCount();
        _file.Write(Encoding.UTF8.GetBytes($"coffre-email-batch 1 {_chunk.CampaignId} {_chunk.BatchNo} {_chunk.ExpiresAt.ToUnixTimeSeconds()}\n"));
        for (var i = 0; i < _chunk.Count; i++)
        {
            var sealedForm = _chunk.SealedCode(_chunk.EmailOrdinal(i));
            var span = _file.GetSpan(160);
            _chunk.VaultIdAscii(i).CopyTo(span);
            var at = IssuanceChunk.VaultIdLength;
            span[at++] = (byte)' ';
            Base64.EncodeToUtf8(_chunk.CodeHash(i), span[at..], out _, out var written);
            at += written;
            span[at++] = (byte)' ';
            BinaryPrimitives.ReadInt16BigEndian(sealedForm).TryFormat(span[at..], out written, provider: System.Globalization.CultureInfo.InvariantCulture);
            at += written;
            span[at++] = (byte)' ';
            Base64.EncodeToUtf8(sealedForm.Slice(2, 12), span[at..], out _, out written);
            at += written;
            span[at++] = (byte)' ';
            Base64.EncodeToUtf8(sealedForm[14..], span[at..], out _, out written);
            at += written;
            span[at++] = (byte)'\n';
            _file.Advance(at);
        }
        return _file.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Emails)]
    public int WriteRecords()
    {
        _file.ResetWrittenCount();
        EmailBatchFiles.Write(_file, _chunk);
        return _file.WrittenCount;
    }
}
