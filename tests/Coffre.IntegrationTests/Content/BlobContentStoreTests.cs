using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Coffre.Adapters.Blob;
using Coffre.Domain.Content;
using Coffre.IntegrationTests.Infrastructure;

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

    public async ValueTask DisposeAsync() => await _container.DeleteIfExistsAsync();
}
