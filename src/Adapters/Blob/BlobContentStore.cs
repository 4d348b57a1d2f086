using System.Buffers;
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

    public async Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
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
                var sha = Checked(hash, expectedSha256);
                using var whole = new MemoryStream(buffer, 0, filled, writable: false);
                await blob.UploadAsync(whole, new BlobUploadOptions { Metadata = Metadata(sha, filled), TransferValidation = Md5 }, cancellationToken).ConfigureAwait(false);
                completed = true;
                return new StoredContent(key, filled, sha);
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
            var actual = Checked(hash, expectedSha256);
            await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { Metadata = Metadata(actual, length) }, cancellationToken).ConfigureAwait(false);
            completed = true;
            return new StoredContent(key, length, actual);
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

    private static Dictionary<string, string> Metadata(string sha256, long length) => new()
    {
        [ShaMetadata] = sha256,
        ["length"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture),
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
