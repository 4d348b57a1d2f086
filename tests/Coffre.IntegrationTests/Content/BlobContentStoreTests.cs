using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Coffre.Adapters.Blob;
using Coffre.Domain.Content;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Content;

/// <summary>The content-store contract on Azurite (a real Blob API server started by ./test.sh).</summary>
public sealed class BlobContentStoreTests : ContentStoreContract, IAsyncDisposable
{
    private readonly BlobContainerClient _container = TestServices.NewContainer();
    private readonly BlobContentStore _store;

    public BlobContentStoreTests() => _store = new BlobContentStore(_container, blockSize: 1024 * 1024);

    protected override IContentStore Store => _store;

    protected override async Task TamperAsync(ContentKey key, byte[] newBytes)
    {
        var blob = _container.GetBlobClient(key.Value);
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        await blob.UploadAsync(new BinaryData(newBytes), new BlobUploadOptions { Metadata = metadata });
    }

    [Fact]
    public async Task Compressible_content_is_kept_gzip_and_staged_in_blocks_when_it_is_large()
    {
        var key = new ContentKey($"tests/{Guid.NewGuid():N}/print.csv");
        var bytes = CompressibleText(6 * 1024 * 1024);   // 1.5-2.5 MB compressed: more than one block of 1 MB
        await _store.WriteCompressibleAsync(key, new MemoryStream(bytes));

        var properties = (await _container.GetBlobClient(key.Value).GetPropertiesAsync()).Value;
        Assert.Equal("gzip", properties.ContentEncoding);
        Assert.InRange(properties.ContentLength, 1024 * 1024 + 1, bytes.Length / 2);
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), properties.Metadata["length"]);
        Assert.InRange((await _container.GetBlockBlobClient(key.Value).GetBlockListAsync()).Value.CommittedBlocks.Count(), 2, 3);
        await using var reader = await _store.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await reader!.Stream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task A_compressed_blob_that_does_not_decompress_or_decompresses_to_other_bytes_fails_its_integrity_check()
    {
        var key = new ContentKey($"tests/{Guid.NewGuid():N}/print.csv");
        var bytes = CompressibleText(64 * 1024);
        await _store.WriteCompressibleAsync(key, new MemoryStream(bytes));
        var blob = _container.GetBlobClient(key.Value);
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        var gzip = new BlobHttpHeaders { ContentEncoding = "gzip" };

        // Not gzip at all, then gzip of the same length with one byte changed: both refused on read, as a wrong hash is.
        await blob.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = metadata, HttpHeaders = gzip });
        await Assert.ThrowsAsync<ContentIntegrityException>(() => ReadAsync(key));
        var altered = (byte[])bytes.Clone();
        altered[100] ^= 0x01;
        using var compressed = new MemoryStream();
        await using (var zip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(altered);
        }
        await blob.UploadAsync(new BinaryData(compressed.ToArray()), new BlobUploadOptions { Metadata = metadata, HttpHeaders = gzip });
        await Assert.ThrowsAsync<ContentIntegrityException>(() => ReadAsync(key));
    }

    private async Task ReadAsync(ContentKey key)
    {
        await using var reader = await _store.OpenReadAsync(key);
        await reader!.Stream.CopyToAsync(Stream.Null);
    }

    public async ValueTask DisposeAsync() => await _container.DeleteIfExistsAsync();
}
