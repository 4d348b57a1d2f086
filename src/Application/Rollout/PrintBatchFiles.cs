using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>
/// The postal print batches a print house takes, in the content store (Blob in a cluster, local disk embedded):
/// <c>print/{campaign}/{batch:D6}.csv</c>, UTF-8, '\n' line ends, a header line then one letter per line
/// (<see cref="CsvHeader"/>: the address block, the code in display form, its expiry, ISO 8601 UTC, and which letter:
/// <see cref="PersonLetter"/> or <see cref="RepresentativesLetter"/>), and next to
/// it <c>{batch:D6}.manifest.json</c> with the letter count and the CSV's SHA-256. A field holding ';', '"' or a line
/// break (the population file allows none) is quoted RFC 4180 style.
/// </summary>
public static class PrintBatchFiles
{
    public const string CsvHeader = "batch_no;letter_no;vault_id;name;address_line1;address_line2;postal_code;city;code;expires_at;letter";

    /// <summary>Column <c>letter</c>: the person's own letter.</summary>
    public const string PersonLetter = "person";

    /// <summary>
    /// Column <c>letter</c>: the letter to a minor's legal representatives (sent to a representative's address, <c>name</c>
    /// "Aux représentants légaux de {first given name}"): the print house uses the template that names the child and says
    /// that a representative's own Carte Vitale activates the child's vault.
    /// </summary>
    public const string RepresentativesLetter = "representatives";

    /// <summary>The name line of a person's own letter.</summary>
    public static string Name(string? givenNames, string? familyName) =>
        string.IsNullOrEmpty(familyName) ? givenNames ?? "" : string.IsNullOrEmpty(givenNames) ? familyName : givenNames + " " + familyName;

    public static string CsvKey(string campaignId, int batchNo) => $"print/{campaignId}/{batchNo:D6}.csv";

    public static string ManifestKey(string campaignId, int batchNo) => $"print/{campaignId}/{batchNo:D6}.manifest.json";

    public static string FormatExpiry(DateTimeOffset expiresAt) =>
        expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static byte[] ManifestJson(PrintBatchManifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonOptions);

    public static PrintBatchManifest ParseManifest(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<PrintBatchManifest>(json, ManifestJsonOptions) ?? throw new FormatException("empty manifest");

    /// <summary>Reads a batch CSV (header checked) into letters.</summary>
    public static IReadOnlyList<PrintLetter> ParseCsv(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length == 0 || lines[0] != CsvHeader)
        {
            throw new FormatException("the print batch does not start with its header");
        }
        var letters = new List<PrintLetter>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }
            var f = SplitLine(line);
            if (f.Count != 11 || f[10] is not (PersonLetter or RepresentativesLetter))
            {
                throw new FormatException($"a print line has {f.Count} fields, not 11, or an unknown letter kind");
            }
            letters.Add(new PrintLetter(
                int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3], f[4],
                f[5].Length == 0 ? null : f[5], f[6], f[7], f[8],
                DateTimeOffset.Parse(f[9], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), f[10] == RepresentativesLetter));
        }
        return letters;
    }

    /// <summary>Reads a committed batch back from the content store, checking it against its print_batch row.</summary>
    public static async Task<IReadOnlyList<PrintLetter>> ReadAsync(IContentStore content, PrintBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(batch);
        await using var reader = await content.OpenReadAsync(new ContentKey(batch.ContentKey), cancellationToken).ConfigureAwait(false)
            ?? throw new RolloutException($"print batch {batch.BatchNo} of campaign '{batch.CampaignId}' is missing from the content store");
        if (!Sha256Hex.Matches(reader.Sha256, batch.Sha256))
        {
            throw new RolloutException($"print batch {batch.BatchNo} of campaign '{batch.CampaignId}' is not the committed file");
        }
        using var text = new StreamReader(reader.Stream, Encoding.UTF8);
        var letters = ParseCsv(await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
        if (letters.Count != batch.Letters)
        {
            throw new RolloutException($"print batch {batch.BatchNo} holds {letters.Count} letters, {batch.Letters} were committed");
        }
        return letters;
    }

    private static List<string> SplitLine(string line)
    {
        var fields = new List<string>(10);
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ';')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return fields;
    }

    private static readonly JsonSerializerOptions ManifestJsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>The manifest next to a print batch CSV.</summary>
public sealed record PrintBatchManifest(
    string Campaign,
    int BatchNo,
    string Csv,
    int Letters,
    string Sha256,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);

/// <summary>One letter of a print batch (one CSV line).</summary>
public sealed record PrintLetter(
    int BatchNo,
    int LetterNo,
    string VaultId,
    string Name,
    string AddressLine1,
    string? AddressLine2,
    string PostalCode,
    string City,
    string Code,
    DateTimeOffset ExpiresAt,
    bool ForRepresentatives = false);

/// <summary>Writes a batch's CSV lines as UTF-8 into a buffer (one writer per producer thread).</summary>
internal sealed class PrintCsvWriter
{
    private static readonly SearchValues<char> NeedsQuoting = SearchValues.Create(";\"\r\n");
    private readonly StringBuilder _line = new(512);

    public static void Header(IBufferWriter<byte> destination) => Utf8(destination, PrintBatchFiles.CsvHeader + "\n");

    public void Letter(IBufferWriter<byte> destination, int batchNo, int letterNo, string vaultId, string name,
        PostalAddress address, ReadOnlySpan<char> canonicalCode, string expiresAt, bool forRepresentatives)
    {
        var line = _line.Clear();
        line.Append(batchNo).Append(';').Append(letterNo).Append(';').Append(vaultId).Append(';');
        Field(line, name);
        line.Append(';');
        Field(line, address.Line1);
        line.Append(';');
        Field(line, address.Line2 ?? "");
        line.Append(';');
        Field(line, address.PostalCode);
        line.Append(';');
        Field(line, address.City);
        line.Append(';');
        line.Append(canonicalCode[..5]).Append('-').Append(canonicalCode[5..10]).Append('-').Append(canonicalCode[10]);
        line.Append(';').Append(expiresAt).Append(';').Append(forRepresentatives ? PrintBatchFiles.RepresentativesLetter : PrintBatchFiles.PersonLetter).Append('\n');
        foreach (var chunk in line.GetChunks())
        {
            var span = destination.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            destination.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
        }
    }

    private static void Field(StringBuilder line, string value)
    {
        if (value.AsSpan().IndexOfAny(NeedsQuoting) < 0)
        {
            line.Append(value);
            return;
        }
        line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static void Utf8(IBufferWriter<byte> destination, string text)
    {
        var span = destination.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        destination.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
