using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Coffre.Domain.Content;

namespace Coffre.Adapters.Blob;

/// <summary>
/// Content in Azure Blob storage. Content that fits in one block is hashed, checked and stored in one request (Put
/// Blob). Larger content is staged block by block while hashing, and the block list is committed, with the SHA-256 as
/// blob metadata, only when the hash is right: a rejected upload leaves no blob behind (uncommitted blocks are discarded
/// by the service). Every request body carries its MD5, which the service checks, so a body damaged in transit is
/// refused; given one, Azurite also skips the CRC-64 it otherwise computes a byte at a time in JavaScript (half its CPU
/// per byte). The one buffer is pooled and wiped after use. Reads stream and verify against that metadata.
/// </summary>
public sealed class BlobContentStore(BlobContainerClient container, int blockSize = 4 * 1024 * 1024) : IContentStore
{
    private const string ShaMetadata = "sha256";

    private static readonly UploadTransferValidationOptions Md5 = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };

    private static readonly BlockBlobStageBlockOptions StageWithMd5 = new() { TransferValidation = Md5 };
    private int _containerReady;

    private const string LengthMetadata = "length";

    private const string Gzip = "gzip";

    public Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, expectedSha256, null, cancellationToken);

    /// <summary>
    /// Hashes the content as it reads it and compresses it (gzip at the fastest level: a print batch to about a third) into
    /// one buffer, then stores the compressed bytes like any content, marked <c>Content-Encoding: gzip</c>, with the
    /// content's own SHA-256 and length as metadata. Readers get the content back (<see cref="OpenReadAsync"/>), checked
    /// against that hash. The buffers are wiped after use.
    /// </summary>
    public async Task<StoredContent> WriteCompressibleAsync(ContentKey key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Room for a third of the content and some: the buffer rarely grows (a grown buffer's old copy is not wiped).
        var compressed = new MemoryStream(content.CanSeek ? (int)Math.Min(int.MaxValue, (content.Length - content.Position) / 3 + 65_536) : 65_536);
        var buffer = ArrayPool<byte>.Shared.Rent(81_920);
        try
        {
            long length = 0;
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                int n;
                while ((n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    gzip.Write(buffer, 0, n);
                    length += n;
                }
            }
            compressed.Position = 0;
            return await WriteAsync(key, compressed, null, new StoredContent(key, length, Sha256Hex.Of(hash)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
            CryptographicOperations.ZeroMemory(compressed.GetBuffer());
            await compressed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores <paramref name="content"/> as it is; with <paramref name="decompressed"/>, the content is gzip and the blob
    /// is marked so, with the decompressed content's hash and length as its metadata.
    /// </summary>
    private async Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256, StoredContent? decompressed,
        CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var headers = decompressed is null ? null : new BlobHttpHeaders { ContentEncoding = Gzip };
        var blob = container.GetBlockBlobClient(key.Value);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        var filled = 0;
        var used = 0;
        var completed = false;
        try
        {
            filled = used = await FillAsync(content, buffer.AsMemory(0, blockSize), cancellationToken).ConfigureAwait(false);
            hash.AppendData(buffer, 0, filled);
            if (filled < blockSize)
            {
                // The whole content is in hand: checked first, then stored in one request (Put Blob), or not at all.
                var stored = decompressed ?? new StoredContent(key, filled, Checked(hash, expectedSha256));
                using var whole = new MemoryStream(buffer, 0, filled, writable: false);
                await blob.UploadAsync(whole, new BlobUploadOptions { Metadata = Metadata(stored), HttpHeaders = headers, TransferValidation = Md5 }, cancellationToken)
                    .ConfigureAwait(false);
                completed = true;
                return stored;
            }
            var writer = Guid.NewGuid().ToString("N");
            var blockIds = new List<string>();
            long length = 0;
            while (true)
            {
                length += filled;
                // Block ids must all have the same length within a blob: writer id + 6-digit ordinal.
                var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{writer}{blockIds.Count:D6}"));
                using (var chunk = new MemoryStream(buffer, 0, filled, writable: false))
                {
                    await blob.StageBlockAsync(id, chunk, StageWithMd5, cancellationToken).ConfigureAwait(false);
                }
                blockIds.Add(id);
                if (filled < blockSize)
                {
                    break;
                }
                filled = await FillAsync(content, buffer.AsMemory(0, blockSize), cancellationToken).ConfigureAwait(false);
                used = Math.Max(used, filled);
                if (filled == 0)
                {
                    break;
                }
                hash.AppendData(buffer, 0, filled);
            }
            var staged = decompressed ?? new StoredContent(key, length, Checked(hash, expectedSha256));
            await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { Metadata = Metadata(staged), HttpHeaders = headers }, cancellationToken)
                .ConfigureAwait(false);
            completed = true;
            return staged;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.InvalidBlockList || e.Status == 409)
        {
            throw new ContentConflictException(key, e);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "Md5Mismatch")
        {
            throw new ContentStoreUnavailableException($"'{key}' reached blob storage damaged (its MD5 did not match); nothing was stored", e);
        }
        catch (RequestFailedException e) when (e.Status == 0 || e.Status >= 500)
        {
            throw new ContentStoreUnavailableException($"blob storage did not accept '{key}': {e.Message.Split('\n')[0]}", e);
        }
        finally
        {
            // The buffer held the content (people's documents): wiped before another write may rent it; all of it when a
            // read or a request failed part-way (what a failed read had filled is not counted in `used`).
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, completed ? used : blockSize));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Checked(IncrementalHash hash, string? expectedSha256)
    {
        var actual = Sha256Hex.Of(hash);
        return expectedSha256 is not null && !Sha256Hex.Matches(expectedSha256, actual)
            ? throw new ContentHashMismatchException(expectedSha256, actual)
            : actual;
    }

    private static Dictionary<string, string> Metadata(StoredContent content) => new()
    {
        [ShaMetadata] = content.Sha256,
        [LengthMetadata] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default)
    {
        var blob = container.GetBlobClient(key.Value);
        try
        {
            var response = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var details = response.Value.Details;
            if (!details.Metadata.TryGetValue(ShaMetadata, out var sha))
            {
                response.Value.Dispose();
                throw new ContentIntegrityException(key);
            }
            if (details.ContentEncoding == Gzip)
            {
                // Kept compressed (WriteCompressibleAsync): the metadata holds the content's own length.
                if (!details.Metadata.TryGetValue(LengthMetadata, out var text)
                    || !long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var decompressed))
                {
                    response.Value.Dispose();
                    throw new ContentIntegrityException(key);
                }
                return new ContentReader(new VerifyingReadStream(new GunzipReadStream(response.Value.Content, key), key, sha, decompressed), decompressed, sha);
            }
            var length = details.ContentLength;
            return new ContentReader(new VerifyingReadStream(response.Value.Content, key, sha, length), length, sha);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default)
    {
        var response = await container.GetBlobClient(key.Value)
            .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    public async Task CheckReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            await container.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or HttpRequestException)
        {
            throw new ContentStoreUnavailableException($"blob container '{container.Name}' at {container.Uri.Host}:{container.Uri.Port} is unreachable: {e.Message.Split('\n')[0]}", e);
        }
    }

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _containerReady) == 1)
        {
            return;
        }
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _containerReady, 1);
    }

    private static async Task<int> FillAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await source.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            filled += n;
        }
        return filled;
    }
}
