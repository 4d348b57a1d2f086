using System.Text;
using System.Text.Json;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Npgsql;

namespace Coffre.Harness;

/// <summary>One person who can activate: the facts they type and the code they received, and the request that sends them.</summary>
public sealed record ActivationPerson(long Index, string VaultId, string Nir, DateOnly BirthDate, string VitaleSerial, string Code, bool ByPost)
{
    public const string Mutation =
        "mutation Activate($input: ActivateVaultInput!) { activateVault(input: $input) { session { vaultId token } userErrors { code } } }";

    /// <summary>The GraphQL request body (query + variables), UTF-8.</summary>
    public byte[] RequestBody()
    {
        using var stream = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("query", Mutation);
            json.WriteStartObject("variables");
            json.WriteStartObject("input");
            json.WriteString("code", Code);
            json.WriteString("nir", Nir);
            json.WriteString("birthDate", BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("vitaleSerial", VitaleSerial);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }
}

/// <summary>
/// Codes in clear, as their people received them: from the committed print batches in the content store (the CSV
/// lines: vault id + code) and from the committed email batch files there (decrypted with the delivery key). The people are
/// adults spread over the synthetic population (minors have no Vitale serial, so they cannot activate), regenerated
/// with the same seed: their NIR's keyed hash gives the vault id (<see cref="RegistryVaultIds.For"/>) to match.
/// </summary>
public static class CodePool
{
    public sealed record Collected(List<ActivationPerson> People, int Candidates, int EmailCodes, int LetterCodes, int BatchesRead, int Missing);

    public static async Task<Collected> CollectAsync(NpgsqlDataSource dataSource, IRolloutStore store, IContentStore content, NirHasher nirHasher,
        DeliveryCodeCipher cipher, string campaignId, long population, int seed, int wanted)
    {
        // 1. Candidates: `wanted` adults spread evenly over the population, since people activate in any order, not in
        //    the import file's: the first `wanted` lines would put every activation on the registry's first pages.
        var candidates = new Dictionary<string, (long Index, PersonRecord Person)>(StringComparer.Ordinal);
        Span<byte> hash = stackalloc byte[NirHasher.HashSize];
        var stride = Math.Max(1, population / Math.Max(1, wanted));
        foreach (var offset in SpreadOffsets(stride))
        {
            for (var i = offset; i < population && candidates.Count < wanted; i += stride)
            {
                var person = SyntheticPopulation.Person(i, seed);
                if (person.VitaleSerial is null)
                {
                    continue;
                }
                nirHasher.Hash(person.Nir, hash);
                candidates[RegistryVaultIds.For(hash)] = (i, person);
            }
        }
        var codes = new Dictionary<string, (string Code, bool ByPost)>(StringComparer.Ordinal);

        // 2. Email: the committed email batch files (checked against their rows), in order, until every candidate with an
        //    email is found; each line's code decrypted with the delivery key.
        var emailWanted = candidates.Count(c => c.Value.Person.Email is not null);
        var emailCodes = 0;
        var batchesRead = 0;
        if (emailWanted > 0)
        {
            foreach (var batch in await store.ListEmailBatchesAsync(campaignId))
            {
                batchesRead++;
                foreach (var line in await EmailBatchFiles.ReadAsync(content, batch, cipher))
                {
                    if (candidates.ContainsKey(line.VaultId) && codes.TryAdd(line.VaultId, (cipher.DecryptCode(line.PayloadJson, line.VaultId), false)))
                    {
                        emailCodes++;
                    }
                }
                if (emailCodes >= emailWanted)
                {
                    break;
                }
            }
        }

        // 3. Post: the committed print batches, in order, until every candidate without an email is found.
        var postWanted = candidates.Count(c => c.Value.Person.Email is null);
        var letterCodes = 0;
        if (postWanted > 0)
        {
            foreach (var batch in await store.ListPrintBatchesAsync(campaignId))
            {
                batchesRead++;
                foreach (var letter in await PrintBatchFiles.ReadAsync(content, batch))
                {
                    if (candidates.ContainsKey(letter.VaultId) && codes.TryAdd(letter.VaultId, (letter.Code, true)))
                    {
                        letterCodes++;
                    }
                }
                if (letterCodes >= postWanted)
                {
                    break;
                }
            }
        }

        var people = new List<ActivationPerson>(candidates.Count);
        foreach (var (vault, (index, person)) in candidates.OrderBy(c => c.Value.Index))
        {
            if (codes.TryGetValue(vault, out var code))
            {
                people.Add(new ActivationPerson(index, vault, person.Nir, person.BirthDate, person.VitaleSerial!, code.Code, code.ByPost));
            }
        }
        return new Collected(people, candidates.Count, emailCodes, letterCodes, batchesRead, candidates.Count - people.Count);
    }

    /// <summary>
    /// The passes over the population, each taking every <paramref name="stride"/>-th person from its offset: 0 first,
    /// then halfway between (minors are skipped, so one pass is not enough), then the other offsets in order.
    /// </summary>
    private static IEnumerable<long> SpreadOffsets(long stride)
    {
        yield return 0;
        if (stride > 1)
        {
            yield return stride / 2;
        }
        for (long offset = 1; offset < stride; offset++)
        {
            if (offset != stride / 2)
            {
                yield return offset;
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="sample"/> letters from print batches spread evenly over the campaign, with each letter's
    /// stored hash and key id (joined through the registry's vault id), for the post-run verification.
    /// </summary>
    public static async Task<(int Checked, int Verified, int Missing, int BatchesRead)> VerifyLettersAsync(NpgsqlDataSource dataSource, IRolloutStore store,
        IContentStore content, CodeHasher hasher, string campaignId, int sample)
    {
        var batches = await store.ListPrintBatchesAsync(campaignId);
        if (batches.Count == 0 || sample == 0)
        {
            return (0, 0, 0, 0);
        }
        var picked = Math.Min(batches.Count, 10);
        var perBatch = (sample + picked - 1) / picked;
        var letters = new List<PrintLetter>(sample);
        for (var k = 0; k < picked && letters.Count < sample; k++)
        {
            var batch = batches[(int)((long)k * batches.Count / picked)];
            var all = await PrintBatchFiles.ReadAsync(content, batch);
            var step = Math.Max(1, all.Count / perBatch);
            for (var j = 0; j < all.Count && letters.Count < sample && j / step < perBatch; j += step)
            {
                letters.Add(all[j]);
            }
        }
        var stored = new Dictionary<string, (short KeyId, byte[] Hash)>(StringComparer.Ordinal);
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("""
            SELECT p.vault_id, c.key_id, c.code_hash FROM activation_code c JOIN registry_person p ON p.nir_hash = c.nir_hash
            WHERE p.vault_id = ANY($1) AND c.campaign_id = $2 AND c.channel = 1
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = letters.Select(l => l.VaultId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored[reader.GetString(0)] = (reader.GetInt16(1), reader.GetFieldValue<byte[]>(2));
            }
        }
        var verified = 0;
        var missing = 0;
        foreach (var letter in letters)
        {
            if (!stored.TryGetValue(letter.VaultId, out var s))
            {
                missing++;
                continue;
            }
            if (ActivationCodes.TryNormalise(letter.Code, out var canonical) && hasher.Verify(canonical, s.KeyId, s.Hash))
            {
                verified++;
            }
        }
        return (letters.Count, verified, missing, picked);
    }

    /// <summary>Letters counted from the manifests next to each committed batch (not from the print_batch rows).</summary>
    public static async Task<(long Letters, int Manifests, int Mismatched)> CountManifestLettersAsync(IRolloutStore store, IContentStore content, string campaignId)
    {
        long letters = 0;
        var manifests = 0;
        var mismatched = 0;
        foreach (var batch in await store.ListPrintBatchesAsync(campaignId))
        {
            await using var reader = await content.OpenReadAsync(new ContentKey(batch.ManifestKey))
                ?? throw new InvalidOperationException($"manifest {batch.ManifestKey} is missing");
            using var buffer = new MemoryStream();
            await reader.Stream.CopyToAsync(buffer);
            var manifest = PrintBatchFiles.ParseManifest(buffer.ToArray());
            letters += manifest.Letters;
            manifests++;
            if (manifest.Letters != batch.Letters || !string.Equals(manifest.Sha256, batch.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                mismatched++;
            }
        }
        return (letters, manifests, mismatched);
    }

    /// <summary>
    /// The email lines the committed email batches hold (their rows' counts) and how many batch files are missing from the
    /// content store or stored with another SHA-256 than their row's (read from the stored hash, not the whole file).
    /// </summary>
    public static async Task<(long Lines, int Batches, int Mismatched)> CountEmailLinesAsync(IRolloutStore store, IContentStore content, string campaignId)
    {
        long lines = 0;
        var batches = 0;
        var mismatched = 0;
        foreach (var batch in await store.ListEmailBatchesAsync(campaignId))
        {
            await using var reader = await content.OpenReadAsync(new ContentKey(batch.ContentKey));
            lines += batch.Emails;
            batches++;
            if (reader is null || !Sha256Hex.Matches(reader.Sha256, batch.Sha256))
            {
                mismatched++;
            }
        }
        return (lines, batches, mismatched);
    }

    public static string Describe(Collected c) =>
        new StringBuilder().Append(c.People.Count).Append(" people with codes (").Append(c.EmailCodes).Append(" by email, ")
            .Append(c.LetterCodes).Append(" by post; ").Append(c.BatchesRead).Append(" email and print batches read; ").Append(c.Missing).Append(" candidates without a code)").ToString();
}
