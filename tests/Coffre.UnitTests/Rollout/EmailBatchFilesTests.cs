using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

/// <summary>The email batch file: what issuance writes is what the router reads back, line by line, and nothing else.</summary>
public sealed class EmailBatchFilesTests
{
    private static readonly DeliveryCodeCipher Cipher = new(new Dictionary<short, byte[]>
    {
        [1] = [.. Enumerable.Range(0, 32).Select(i => (byte)i)],
        [2] = [.. Enumerable.Range(50, 32).Select(i => (byte)i)],
    }, 2);

    private static readonly DateTimeOffset Expires = new(2027, 1, 15, 10, 0, 0, TimeSpan.Zero);

    private static readonly CodeHasher Hasher = new(new Dictionary<short, byte[]> { [1] = [.. Enumerable.Range(100, 32).Select(i => (byte)i)] }, 1);

    private static (byte[] File, List<(string Vault, string Code, byte[] Hash)> Emails) Batch(int emails, int letters = 0)
    {
        var chunk = new IssuanceChunk(emails + letters);
        chunk.Reset("c-2027", 1, Expires.AddDays(-42), Expires);
        chunk.BatchNo = 7;
        var written = new List<(string, string, byte[])>();
        for (var i = 0; i < emails + letters; i++)
        {
            var vault = $"v{i:D21}";
            var nir = SHA256.HashData(Encoding.UTF8.GetBytes(vault));
            var code = ActivationCodes.Generate();
            if (i % 2 == 1 && letters > 0 && i / 2 < letters)
            {
                chunk.AddLetter(nir, i, vault, code);
                continue;
            }
            chunk.AddEmail(nir, i, vault, code);
            var hash = new byte[32];
            Hasher.Hash(code, hash);
            written.Add((vault, code, hash));
        }
        chunk.HashCodes(Hasher);
        var file = new ArrayBufferWriter<byte>();
        EmailBatchFiles.Write(file, chunk, Cipher);
        return (file.WrittenSpan.ToArray(), written);
    }

    /// <summary>The same emails as a version 2 file (written until 2026-12-07): 75-byte records, each code sealed alone.</summary>
    private static byte[] Version2(List<(string Vault, string Code, byte[] Hash)> emails)
    {
        var template = Cipher.Template("c-2027", Expires);
        var file = new List<byte>(Encoding.UTF8.GetBytes($"coffre-email-batch 2 c-2027 7 {Expires.ToUnixTimeSeconds()} 75\n"));
        var sealedCode = new byte[DeliveryCodeCipher.SealedSize];
        foreach (var (vault, code, hash) in emails)
        {
            Cipher.Seal(template, vault, code, sealedCode);
            file.AddRange([.. Encoding.ASCII.GetBytes(vault), .. hash[..EmailBatchFiles.CodeHashPrefix], .. sealedCode]);
        }
        return [.. file];
    }

    [Fact]
    public void Every_email_line_reads_back_as_the_message_the_email_channel_decrypts()
    {
        var (file, emails) = Batch(emails: 5, letters: 3);

        var parsed = new EmailBatchFiles.ParsedFile(file, Cipher);
        Assert.Equal(("c-2027", 7, Expires, emails.Count), (parsed.CampaignId, parsed.BatchNo, parsed.ExpiresAt, parsed.Count));
        for (var i = 0; i < emails.Count; i++)
        {
            var line = parsed.Line(i);
            Assert.Equal(emails[i].Vault, line.VaultId);
            Assert.Equal(emails[i].Hash[..EmailBatchFiles.CodeHashPrefix], line.CodeHash);
            Assert.True(line.Carries(emails[i].Hash));
            Assert.False(line.Carries(emails[(i + 1) % emails.Count].Hash));
            Assert.Equal(EmailBatchFiles.LineId("c-2027", 7, i), line.Id);
            Assert.Equal(emails[i].Code, Cipher.DecryptCode(line.PayloadJson, line.VaultId));
            var payload = DeliveryPayload.Parse(line.PayloadJson);
            Assert.Equal(("c-2027", (short)2, Expires), (payload.Campaign, payload.KeyId, payload.ExpiresAt));
        }
        Assert.Equal(emails.Count, EmailBatchFiles.Parse(file, Cipher).Count);
        // The ids are the same whenever the file is read (the Message-ID and the bounce key), and differ between lines.
        Assert.Equal(parsed.Line(3).Id, new EmailBatchFiles.ParsedFile(file, Cipher).Line(3).Id);
        Assert.Equal(emails.Count, Enumerable.Range(0, parsed.Count).Select(i => parsed.Line(i).Id).Distinct().Count());
    }

    [Fact]
    public void An_email_takes_45_bytes_and_the_file_carries_no_code_in_clear()
    {
        var (file, emails) = Batch(emails: 100);

        var header = Encoding.UTF8.GetString(file, 0, Array.IndexOf(file, (byte)'\n') + 1);
        Assert.StartsWith($"coffre-email-batch 3 c-2027 7 {Expires.ToUnixTimeSeconds()} 45 2 ", header, StringComparison.Ordinal);
        Assert.Equal(16, Convert.FromBase64String(header.Split(' ')[^1].TrimEnd('\n')).Length + 4);
        Assert.Equal(header.Length + 100 * 45 + 16, file.Length);
        var text = Encoding.Latin1.GetString(file);
        Assert.All(emails, e => Assert.DoesNotContain(e.Code, text, StringComparison.Ordinal));
        // Two batches of the same codes share no ciphertext: each file has its own nonce.
        Assert.NotEqual(header, Encoding.UTF8.GetString(Batch(emails: 1).File).Split('\n')[0] + "\n");
    }

    [Fact]
    public void The_codes_a_chunk_holds_for_its_file_are_wiped_when_it_is_let_go_and_must_be_ASCII()
    {
        var chunk = new IssuanceChunk(3);
        chunk.Reset("c-2027", 1, Expires.AddDays(-42), Expires);
        var code = ActivationCodes.Generate();
        chunk.AddEmail(new byte[32], 1, $"v{1:D21}", code);
        Assert.Equal(code, Encoding.ASCII.GetString(chunk.EmailCode(0)));

        chunk.WipeCodes();
        Assert.All(chunk.EmailCode(0).ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ArgumentException>(() => chunk.AddEmail(new byte[32], 2, $"v{2:D21}", "ÉÉÉÉÉÉÉÉÉÉÉ"));
        Assert.Throws<ArgumentException>(() => chunk.AddLetter(new byte[32], 2, $"v{2:D21}", "ABC"));
    }

    [Fact]
    public void A_chunk_hashes_its_codes_at_once_as_the_code_hasher_does_one_by_one_and_only_then_answers_their_hashes()
    {
        var chunk = new IssuanceChunk(20);
        chunk.Reset("c-2027", 1, Expires.AddDays(-42), Expires);
        var codes = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var code = ActivationCodes.Generate();
            codes.Add(code);
            if (i % 3 == 0)
            {
                chunk.AddLetter(new byte[32], i, $"v{i:D21}", code);
            }
            else
            {
                chunk.AddEmail(new byte[32], i, $"v{i:D21}", code);
            }
            if (i == 8)
            {
                Assert.Throws<InvalidOperationException>(() => chunk.CodeHash(0));
                chunk.HashCodes(Hasher);   // the first nine; the rest at the second call
            }
        }
        Assert.Throws<InvalidOperationException>(() => chunk.CodeHash(9));
        chunk.HashCodes(Hasher);

        var expected = new byte[32];
        for (var i = 0; i < 20; i++)
        {
            Hasher.Hash(codes[i], expected);
            Assert.Equal(expected, chunk.CodeHash(i).ToArray());
        }
    }

    [Fact]
    public void A_version_3_file_is_read_only_with_its_key_and_unaltered()
    {
        var (file, _) = Batch(emails: 4);
        var header = Array.IndexOf(file, (byte)'\n') + 1;
        var otherKey = new DeliveryCodeCipher(1, [.. Enumerable.Range(0, 32).Select(i => (byte)i)]);

        Assert.Equal(4, new EmailBatchFiles.ParsedFile(file, Cipher).Count);
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(file));
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(file, otherKey));
        // A byte changed anywhere (first line, a vault id, a hash prefix, a code, the tag) and nothing is read.
        foreach (var at in new[] { 25, header, header + 30, header + 4 * 34 + 3, file.Length - 1 })
        {
            var altered = (byte[])file.Clone();
            altered[at] ^= 0x01;
            Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(altered, Cipher));
        }
    }

    [Fact]
    public void A_version_2_file_written_before_batch_sealing_still_reads()
    {
        var (_, emails) = Batch(emails: 3);
        var v2 = Version2(emails);

        var parsed = new EmailBatchFiles.ParsedFile(v2);
        Assert.Equal(3, parsed.Count);
        for (var i = 0; i < 3; i++)
        {
            var line = parsed.Line(i);
            Assert.Equal((EmailBatchFiles.LineId("c-2027", 7, i), emails[i].Vault), (line.Id, line.VaultId));
            Assert.True(line.Carries(emails[i].Hash));
            Assert.Equal(emails[i].Code, Cipher.DecryptCode(line.PayloadJson, line.VaultId));
        }
    }

    [Fact]
    public void A_version_1_file_written_before_records_still_reads()
    {
        var (_, emails) = Batch(emails: 3);
        var file = Version2(emails);
        var parsed = new EmailBatchFiles.ParsedFile(file);
        // The same emails as version 1 text lines: vault id, whole code hash and sealed code as text, base64.
        var v1 = new StringBuilder($"coffre-email-batch 1 c-2027 7 {Expires.ToUnixTimeSeconds()}\n");
        var start = file.Length - 3 * EmailBatchFiles.SealedRecordSize;
        for (var i = 0; i < 3; i++)
        {
            var sealedForm = file.AsSpan(start + i * EmailBatchFiles.SealedRecordSize + 22 + EmailBatchFiles.CodeHashPrefix, DeliveryCodeCipher.SealedSize);
            v1.Append(CultureInfo.InvariantCulture, $"{emails[i].Vault} {Convert.ToBase64String(emails[i].Hash)} {BinaryPrimitives.ReadInt16BigEndian(sealedForm)} ")
                .Append(CultureInfo.InvariantCulture, $"{Convert.ToBase64String(sealedForm.Slice(2, 12))} {Convert.ToBase64String(sealedForm[14..])}\n");
        }

        var old = new EmailBatchFiles.ParsedFile(Encoding.UTF8.GetBytes(v1.ToString()));
        Assert.Equal(3, old.Count);
        for (var i = 0; i < 3; i++)
        {
            var line = old.Line(i);
            Assert.Equal((parsed.Line(i).Id, emails[i].Vault), (line.Id, line.VaultId));
            Assert.Equal(emails[i].Hash, line.CodeHash);
            Assert.True(line.Carries(emails[i].Hash));
            Assert.Equal(emails[i].Code, Cipher.DecryptCode(line.PayloadJson, line.VaultId));
        }
    }

    [Fact]
    public void A_file_whose_records_do_not_fill_it_or_of_another_record_size_is_refused()
    {
        var (file, _) = Batch(emails: 2);
        var header = Array.IndexOf(file, (byte)'\n') + 1;
        var otherSize = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(file, 0, header).Replace(" 45 2 ", " 46 2 ", StringComparison.Ordinal));
        var v2 = Version2(Batch(emails: 2).Emails);
        var v2Header = Array.IndexOf(v2, (byte)'\n') + 1;
        var v2OtherSize = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(v2, 0, v2Header).Replace(" 75\n", " 76\n", StringComparison.Ordinal));

        Assert.Equal(2, new EmailBatchFiles.ParsedFile(file, Cipher).Count);
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(file[..^1], Cipher));
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile([.. otherSize, .. file[header..]], Cipher));
        Assert.Equal(2, new EmailBatchFiles.ParsedFile(v2).Count);
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(v2[..^1]));
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile([.. v2OtherSize, .. v2[v2Header..]]));
    }

    [Fact]
    public void A_line_bound_to_another_vault_does_not_decrypt()
    {
        var (file, _) = Batch(emails: 2);
        var parsed = new EmailBatchFiles.ParsedFile(file, Cipher);

        var line = parsed.Line(0);
        Assert.ThrowsAny<CryptographicException>(() => Cipher.DecryptCode(line.PayloadJson, parsed.Line(1).VaultId));
    }

    [Theory]
    [InlineData("not an email batch\n")]
    [InlineData("coffre-email-batch 1 c-2027 seven 1800000000\n")]
    [InlineData("coffre-email-batch 2 c-2027 7 1800000000\n")]
    [InlineData("coffre-email-batch 3 c-2027 7 1800000000 45 2\n")]
    [InlineData("")]
    public void A_file_without_its_first_line_is_refused(string text) =>
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(Encoding.UTF8.GetBytes(text), Cipher));

    [Theory]
    [InlineData("v000000000000000000000 notbase64!! 2 AAAAAAAAAAAAAAAA AAAA")]
    [InlineData("short AAAA 2 AAAAAAAAAAAAAAAA AAAA")]
    [InlineData("v000000000000000000000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= x AAAAAAAAAAAAAAAA AAAA")]
    [InlineData("v000000000000000000000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void A_malformed_line_is_refused(string line)
    {
        var parsed = new EmailBatchFiles.ParsedFile(Encoding.UTF8.GetBytes($"coffre-email-batch 1 c-2027 7 1800000000\n{line}\n"));

        Assert.Equal(1, parsed.Count);
        Assert.Throws<FormatException>(() => parsed.Line(0));
    }
}
