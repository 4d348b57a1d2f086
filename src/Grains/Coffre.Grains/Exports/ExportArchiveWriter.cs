using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Application.Fhir;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Exports;

/// <summary>
/// Writes one export archive (zip) to a forward-only stream: <c>documents/…</c> (each document's bytes, read from the
/// content store through its verifying stream and checked against the SHA-256 the vault recorded while they stream;
/// a hash or size mismatch throws <see cref="ContentIntegrityException"/> and the archive is abandoned; a document whose
/// content is gone (deleted since the snapshot) is left out and counted so in the index), <c>fhir/bundle.json</c> (a
/// FHIR R4 collection Bundle, written entry by entry), <c>index.txt</c> (readable), and <c>manifest.json</c> (the
/// SHA-256 and size of every other entry). Memory is bounded by one copy buffer and one FHIR resource, never the vault.
/// </summary>
public sealed class ExportArchiveWriter(IContentStore content, IFhirMapper fhir)
{
    public const string BundlePath = "fhir/bundle.json";
    public const string IndexPath = "index.txt";
    public const string ManifestPath = "manifest.json";
    private const int HistoryPage = 200;

    /// <summary>How often a running export says it is alive (well under <see cref="ExportLimits.StaleAfter"/>).</summary>
    public static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(20);

    /// <summary>Reads the access history page by page (newest first), as the vault serves it for an export.</summary>
    public delegate Task<AccessHistoryPage> HistoryReader(long? beforeSequence, int limit);

    /// <summary>The profile entries the requester may read (every section, oldest first; bounded by the profile's section bounds).</summary>
    public delegate Task<IReadOnlyList<ProfileEntry>> ProfileReader();

    public sealed record Result(int Documents, long HistoryEntries);

    public async Task<Result> WriteAsync(Stream output, string exportId, ExportSnapshot snapshot, HistoryReader history, ProfileReader profile,
        Func<Task> heartbeat, CancellationToken cancellationToken)
    {
        // Read once, before anything is written: decided and recorded by the profile for the requester, and listed in
        // both the Bundle and the index. Its size is bounded per section, so it is held; documents and history are streamed.
        var profileEntries = await profile();
        // The runner tells its export grain it is alive at most every HeartbeatEvery, also in the middle of a large document.
        var sinceBeat = System.Diagnostics.Stopwatch.StartNew();
        async Task BeatAsync()
        {
            if (sinceBeat.Elapsed >= HeartbeatEvery)
            {
                sinceBeat.Restart();
                await heartbeat();
            }
        }
        var manifest = new List<ManifestEntry>();
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8, cancellationToken);
        var exported = new List<(DocumentEntry Document, FhirAttachment Attachment)>();
        var gone = 0;
        foreach (var document in snapshot.Documents)
        {
            var path = $"documents/{document.Id}{Extension(document.ContentType)}";
            if (await WriteDocumentAsync(zip, path, document, BeatAsync, cancellationToken) is not { } written)
            {
                // Deleted while the export ran: left out, not an integrity failure.
                gone++;
                continue;
            }
            var (sha256, sha1, size) = written;
            manifest.Add(new ManifestEntry(path, size, sha256));
            exported.Add((document, new FhirAttachment(path, size, sha1, sha256, document.ContentType)));
        }

        var summary = new HistorySummary();
        manifest.Add(await WriteEntryAsync(zip, BundlePath, CompressionLevel.Fastest, async stream =>
        {
            var bundle = fhir.OpenCollection(stream, exportId, snapshot.At);
            await bundle.PatientAsync(snapshot.VaultId, snapshot.Identity, cancellationToken);
            foreach (var (document, attachment) in exported)
            {
                await bundle.DocumentReferenceAsync(snapshot.VaultId, document, attachment, cancellationToken);
            }
            foreach (var entry in profileEntries)
            {
                await bundle.ProfileEntryAsync(snapshot.VaultId, entry, cancellationToken);
            }
            var access = snapshot.Access;
            foreach (var grant in access.Grants)
            {
                await bundle.GrantConsentAsync(snapshot.VaultId, grant, snapshot.At, cancellationToken);
            }
            foreach (var referent in access.Referents)
            {
                await bundle.ReferentConsentAsync(snapshot.VaultId, referent, snapshot.At, cancellationToken);
            }
            foreach (var representative in access.Representatives)
            {
                await bundle.RepresentationConsentAsync(snapshot.VaultId, representative, snapshot.At, cancellationToken);
            }
            foreach (var delegation in access.CarerDelegations)
            {
                await bundle.CarerConsentAsync(snapshot.VaultId, delegation, snapshot.At, cancellationToken);
            }
            long? before = null;
            while (true)
            {
                var page = await history(before, HistoryPage);
                foreach (var item in page.Items)
                {
                    await bundle.AuditEventAsync(snapshot.VaultId, new FhirAuditEntry(item.Sequence, item.Event), cancellationToken);
                    summary.Add(item.Event);
                }
                await BeatAsync();
                if (!page.HasMore || page.Items.Count == 0)
                {
                    break;
                }
                before = page.Items[^1].Sequence;
            }
            await bundle.CompleteAsync(cancellationToken);
        }, cancellationToken));

        manifest.Add(await WriteEntryAsync(zip, IndexPath, CompressionLevel.Fastest,
            stream => stream.WriteAsync(Encoding.UTF8.GetBytes(ExportIndex.Text(exportId, snapshot, exported, gone, profileEntries, summary))).AsTask(), cancellationToken));

        var manifestJson = JsonSerializer.SerializeToUtf8Bytes(new
        {
            exportId,
            vaultId = snapshot.VaultId,
            createdAt = snapshot.At,
            documents = exported.Count,
            documentsLeftOut = snapshot.LeftOut + gone,
            profileEntries = profileEntries.Count,
            historyEntries = summary.Total,
            entries = manifest.Select(m => new { path = m.Path, size = m.Size, sha256 = m.Sha256 }),
        }, new JsonSerializerOptions { WriteIndented = true });
        await WriteEntryAsync(zip, ManifestPath, CompressionLevel.Fastest, stream => stream.WriteAsync(manifestJson).AsTask(), cancellationToken);
        return new Result(exported.Count, summary.Total);
    }

    /// <summary>The document's entry; null when its content is no longer in the store (nothing is written then).</summary>
    private async Task<(string Sha256, string Sha1, long Size)?> WriteDocumentAsync(ZipArchive zip, string path, DocumentEntry document, Func<Task> beat,
        CancellationToken cancellationToken)
    {
        var key = new ContentKey(document.ContentKey);
        await using var reader = await content.OpenReadAsync(key, cancellationToken);
        if (reader is null)
        {
            return null;
        }
        // Already compressed formats are stored; anything else deflated fast.
        var level = Extension(document.ContentType) is ".pdf" or ".jpg" or ".png" or ".heic" or ".tiff" ? CompressionLevel.NoCompression : CompressionLevel.Fastest;
        var entry = zip.CreateEntry(path, level);
        entry.LastWriteTime = document.CreatedAt;
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        long size = 0;
        await using (var target = await entry.OpenAsync(cancellationToken))
        {
            var buffer = new byte[81920];
            int read;
            // The store's stream verifies the hash it recorded at write time; this loop checks the vault's as well.
            while ((read = await reader.Stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                sha1.AppendData(buffer, 0, read);
                size += read;
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await beat();
            }
        }
        var hex = Sha256Hex.Of(sha256);
        if (size != document.Size || !Sha256Hex.Matches(hex, document.Sha256))
        {
            throw new ContentIntegrityException(key);
        }
        return (hex, Convert.ToHexStringLower(sha1.GetHashAndReset()), size);
    }

    private static async Task<ManifestEntry> WriteEntryAsync(ZipArchive zip, string path, CompressionLevel level, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(path, level);
        await using var target = await entry.OpenAsync(cancellationToken);
        await using var hashing = new HashingWriteStream(target);
        await write(hashing);
        await hashing.FlushAsync(cancellationToken);
        return new ManifestEntry(path, hashing.Length, hashing.Sha256());
    }

    public static string Extension(string contentType) => contentType.ToLowerInvariant() switch
    {
        "application/pdf" => ".pdf",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/tiff" => ".tiff",
        "image/heic" => ".heic",
        "text/plain" => ".txt",
        "application/xml" or "text/xml" => ".xml",
        "application/json" => ".json",
        _ => ".bin",
    };

    private sealed record ManifestEntry(string Path, long Size, string Sha256);

    /// <summary>Counts of the access history, for the readable index.</summary>
    internal sealed class HistorySummary
    {
        public long Total { get; private set; }
        public long Denied { get; private set; }
        public DateTimeOffset? First { get; private set; }
        public DateTimeOffset? Last { get; private set; }
        public SortedDictionary<string, long> ByOperation { get; } = new(StringComparer.Ordinal);

        public void Add(Domain.Auditing.AuditEvent e)
        {
            Total++;
            if (!e.Allowed)
            {
                Denied += e.Count;
            }
            First = First is null || e.At < First ? e.At : First;
            Last = Last is null || e.At > Last ? e.At : Last;
            ByOperation[e.Operation] = ByOperation.GetValueOrDefault(e.Operation) + 1;
        }
    }

    /// <summary>A write-only pass-through that counts and hashes (SHA-256) what goes through.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public string Sha256() => Sha256Hex.Of(_hash);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            _length += buffer.Length;
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            _hash.Dispose();
            return base.DisposeAsync();
        }
    }
}

/// <summary>The archive's readable index (<c>index.txt</c>): documents, grants and mandates, the history in figures.</summary>
internal static class ExportIndex
{
    public static string Text(string exportId, ExportSnapshot snapshot, IReadOnlyList<(DocumentEntry Document, FhirAttachment Attachment)> documents,
        int deletedMeanwhile, IReadOnlyList<ProfileEntry> profile, ExportArchiveWriter.HistorySummary history)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("COFFRE — export of a vault");
        sb.AppendLine(c, $"Export {exportId}, made {snapshot.At:yyyy-MM-dd HH:mm} UTC, vault {snapshot.VaultId}");
        if (snapshot.Identity is { } id)
        {
            sb.AppendLine(c, $"Person: {id.GivenNames} {id.FamilyName}{(id.UsualName is { Length: > 0 } u ? $" (usual name {u})" : "")}, born {id.BirthDate:yyyy-MM-dd}");
        }
        sb.AppendLine("Files: documents/ (each document as deposited), fhir/bundle.json (HL7 FHIR R4 Bundle: documents, medical profile, access given, access history), manifest.json (SHA-256 of every file).");
        sb.AppendLine();
        sb.AppendLine(c, $"DOCUMENTS ({documents.Count}{(snapshot.LeftOut > 0 ? $"; {snapshot.LeftOut} not included: hidden from you" : "")}{(deletedMeanwhile > 0 ? $"; {deletedMeanwhile} not included: deleted while the export was made" : "")})");
        foreach (var (d, a) in documents)
        {
            sb.AppendLine(c, $"- {d.Title}");
            sb.AppendLine(c, $"  date {(d.ServiceDate is { } s ? s.ToString("yyyy-MM-dd", c) : d.CreatedAt.ToString("yyyy-MM-dd", c))}, deposited {d.CreatedAt:yyyy-MM-dd} by {AuthorText(d.Author)}, class {d.ClassCode}, type {d.TypeCode}");
            sb.AppendLine(c, $"  {a.Url}, {d.Size} bytes, {d.ContentType}, SHA-256 {a.Sha256Hex}");
        }
        sb.AppendLine();
        ProfileIndex.Append(sb, profile, AuthorText);
        sb.AppendLine();
        var access = snapshot.Access;
        sb.AppendLine(c, $"ACCESS GIVEN ({access.Grants.Count} grants, {access.Referents.Count} referents, {access.Representatives.Count} legal representatives, {access.CarerDelegations.Count} carers)");
        foreach (var g in access.Grants)
        {
            sb.AppendLine(c, $"- grant {g.Id} to {(g.GranteeKind == GranteeKind.Professional ? "professional RPPS " : "establishment FINESS ")}{g.Grantee}, from {g.GrantedAt:yyyy-MM-dd}{Until(g.ExpiresAt)}{(g.RevokedAt is { } r ? $", revoked {r:yyyy-MM-dd}" : "")}, {Scope(g.Scope)}");
        }
        foreach (var r in access.Referents)
        {
            sb.AppendLine(c, $"- referent RPPS {r.Rpps}{(r.EstablishmentFiness is { } f ? $" (FINESS {f})" : "")}, consent recorded {r.Consent.RecordedAt:yyyy-MM-dd} ({r.Consent.Method}){Until(r.Consent.ExpiresAt)}{(r.RevokedAt is { } x ? $", revoked {x:yyyy-MM-dd}" : "")}, {Scope(r.Consent.Scope)}");
        }
        foreach (var r in access.Representatives)
        {
            sb.AppendLine(c, $"- legal representative {r.RepresentativeVaultId} ({r.Kind.ToString().ToLowerInvariant()}), from {r.Since:yyyy-MM-dd}{Until(r.Until)}");
        }
        foreach (var d in access.CarerDelegations)
        {
            sb.AppendLine(c, $"- carer {d.CarerVaultId} ({d.Actions}), from {d.Consent.RecordedAt:yyyy-MM-dd}{Until(d.Consent.ExpiresAt)}{(d.EndedAt is { } e ? $", ended {e:yyyy-MM-dd}" : "")}, {Scope(d.Consent.Scope)}");
        }
        sb.AppendLine();
        sb.AppendLine(c, $"ACCESS HISTORY ({history.Total} entries{(history.First is { } first ? $", {first:yyyy-MM-dd} to {history.Last:yyyy-MM-dd}" : "")}, {history.Denied} refusals); each entry is an AuditEvent in fhir/bundle.json");
        foreach (var (operation, count) in history.ByOperation)
        {
            sb.AppendLine(c, $"- {operation}: {count}");
        }
        return sb.ToString();
    }

    private static string Until(DateTimeOffset? at) => at is { } t ? $" until {t:yyyy-MM-dd}" : "";

    private static string Scope(DocumentScope scope) =>
        scope.ClassCodes is null && scope.TypeCodes is null ? "all documents"
            : $"classes {(scope.ClassCodes is { } c ? string.Join(' ', c) : "all")}, types {(scope.TypeCodes is { } t ? string.Join(' ', t) : "all")}";

    internal static string AuthorText(Author author) => author.Kind switch
    {
        AuthorKind.Person => "the person",
        AuthorKind.Professional => "professional RPPS " + author.Id,
        AuthorKind.Referent => "referent RPPS " + author.Id,
        AuthorKind.Representative => "legal representative " + author.Id,
        _ => author.EstablishmentFiness is { } f ? "establishment FINESS " + f : "system",
    };
}
