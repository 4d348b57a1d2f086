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

    private static (byte[] File, List<(string Vault, string Code, byte[] Hash)> Emails) Batch(int emails, int letters = 0)
    {
        var chunk = new IssuanceChunk(emails + letters);
        chunk.Reset("c-2027", 1, Expires.AddDays(-42), Expires);
        chunk.BatchNo = 7;
        var template = Cipher.Template("c-2027", Expires);
        var sealedCode = new byte[DeliveryCodeCipher.SealedSize];
        var written = new List<(string, string, byte[])>();
        for (var i = 0; i < emails + letters; i++)
        {
            var vault = $"v{i:D21}";
            var nir = SHA256.HashData(Encoding.UTF8.GetBytes(vault));
            var hash = SHA256.HashData(nir);
            if (i % 2 == 1 && letters > 0 && i / 2 < letters)
            {
                chunk.AddLetter(nir, i, vault, hash);
                continue;
            }
            var code = ActivationCodes.Generate();
            Cipher.Seal(template, vault, code, sealedCode);
            chunk.AddEmail(nir, i, vault, hash, sealedCode);
            written.Add((vault, code, hash));
        }
        var file = new ArrayBufferWriter<byte>();
        EmailBatchFiles.Write(file, chunk);
        return (file.WrittenSpan.ToArray(), written);
    }

    [Fact]
    public void Every_email_line_reads_back_as_the_message_the_email_channel_decrypts()
    {
        var (file, emails) = Batch(emails: 5, letters: 3);

        var parsed = new EmailBatchFiles.ParsedFile(file);
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
        Assert.Equal(emails.Count, EmailBatchFiles.Parse(file).Count);
        // The ids are the same whenever the file is read (the Message-ID and the bounce key), and differ between lines.
        Assert.Equal(parsed.Line(3).Id, new EmailBatchFiles.ParsedFile(file).Line(3).Id);
        Assert.Equal(emails.Count, Enumerable.Range(0, parsed.Count).Select(i => parsed.Line(i).Id).Distinct().Count());
    }

    [Fact]
    public void A_record_is_75_bytes_and_carries_no_code_in_clear()
    {
        var (file, emails) = Batch(emails: 100);

        var header = Encoding.UTF8.GetString(file, 0, Array.IndexOf(file, (byte)'\n') + 1);
        Assert.Equal($"coffre-email-batch 2 c-2027 7 {Expires.ToUnixTimeSeconds()} 75\n", header);
        Assert.Equal(header.Length + 100 * 75, file.Length);
        var text = Encoding.Latin1.GetString(file);
        Assert.All(emails, e => Assert.DoesNotContain(e.Code, text, StringComparison.Ordinal));
    }

    [Fact]
    public void A_version_1_file_written_before_records_still_reads()
    {
        var (file, emails) = Batch(emails: 3);
        var parsed = new EmailBatchFiles.ParsedFile(file);
        // The same emails as version 1 text lines: vault id, whole code hash and sealed code as text, base64.
        var v1 = new StringBuilder($"coffre-email-batch 1 c-2027 7 {Expires.ToUnixTimeSeconds()}\n");
        var start = file.Length - 3 * EmailBatchFiles.RecordSize;
        for (var i = 0; i < 3; i++)
        {
            var sealedForm = file.AsSpan(start + i * EmailBatchFiles.RecordSize + 22 + EmailBatchFiles.CodeHashPrefix, DeliveryCodeCipher.SealedSize);
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
        var otherSize = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(file, 0, header).Replace(" 75\n", " 76\n", StringComparison.Ordinal));

        Assert.Equal(2, new EmailBatchFiles.ParsedFile(file).Count);
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(file[..^1]));
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile([.. otherSize, .. file[header..]]));
    }

    [Fact]
    public void A_line_bound_to_another_vault_does_not_decrypt()
    {
        var (file, _) = Batch(emails: 2);
        var parsed = new EmailBatchFiles.ParsedFile(file);

        var line = parsed.Line(0);
        Assert.ThrowsAny<CryptographicException>(() => Cipher.DecryptCode(line.PayloadJson, parsed.Line(1).VaultId));
    }

    [Theory]
    [InlineData("not an email batch\n")]
    [InlineData("coffre-email-batch 1 c-2027 seven 1800000000\n")]
    [InlineData("coffre-email-batch 2 c-2027 7 1800000000\n")]
    [InlineData("")]
    public void A_file_without_its_first_line_is_refused(string text) =>
        Assert.Throws<FormatException>(() => new EmailBatchFiles.ParsedFile(Encoding.UTF8.GetBytes(text)));

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
