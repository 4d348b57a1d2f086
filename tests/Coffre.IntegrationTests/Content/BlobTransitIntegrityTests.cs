using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Coffre.Adapters.Blob;
using Coffre.Domain.Content;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Content;

/// <summary>
/// Each body the Blob content store sends (a staged block, or the whole content when it fits in one block) carries its
/// MD5, and the service (Azurite, started by ./test.sh) checks it: a body damaged between the store and the service is
/// refused, the write fails as the store being unavailable (a caller retries), and no blob is left behind.
/// </summary>
public sealed class BlobTransitIntegrityTests : IAsyncDisposable
{
    private readonly BlockTap _tap = new();
    private readonly BlobContainerClient _container;
    private readonly BlobContentStore _store;

    public BlobTransitIntegrityTests()
    {
        var options = new BlobClientOptions();
        options.AddPolicy(_tap, HttpPipelinePosition.BeforeTransport);
        var name = TestServices.NewContainer().Name;
        _container = new BlobServiceClient(TestServices.Blob, options).GetBlobContainerClient(name);
        _store = new BlobContentStore(_container, blockSize: 64 * 1024);
    }

    [Fact]
    public async Task Every_staged_block_carries_the_MD5_of_its_bytes()
    {
        var bytes = RandomNumberGenerator.GetBytes(150 * 1024);

        await _store.WriteAsync(new ContentKey("print/c/000001.csv"), new MemoryStream(bytes));

        Assert.Equal(3, _tap.Blocks.Count);
        Assert.All(_tap.Blocks, b => Assert.Equal("block", b.Kind));
        var offset = 0;
        foreach (var (_, md5, body) in _tap.Blocks)
        {
            Assert.Equal(MD5.HashData(bytes.AsSpan(offset, body.Length)), md5);
            offset += body.Length;
        }
        Assert.Equal(bytes.Length, offset);
    }

    [Fact]
    public async Task Content_within_one_block_is_stored_in_one_request_carrying_its_MD5()
    {
        var key = new ContentKey("print/c/000001.manifest.json");
        var bytes = RandomNumberGenerator.GetBytes(10 * 1024);

        var stored = await _store.WriteAsync(key, new MemoryStream(bytes));

        var (kind, md5, body) = Assert.Single(_tap.Blocks);
        Assert.Equal("blob", kind);
        Assert.Equal(MD5.HashData(bytes), md5);
        Assert.Equal(bytes, body);
        Assert.Equal(Sha256Hex.Of(bytes), stored.Sha256);
        await using var reader = await _store.OpenReadAsync(key);
        Assert.Equal(stored.Sha256, reader!.Sha256);
    }

    [Theory]
    [InlineData(150 * 1024, 1)]
    [InlineData(10 * 1024, 0)]
    public async Task Content_damaged_in_transit_is_refused_and_nothing_is_stored(int length, int damagedRequest)
    {
        var key = new ContentKey("email/c/000001.bin");
        _tap.DamageBlock = damagedRequest;

        var error = await Assert.ThrowsAsync<ContentStoreUnavailableException>(
            () => _store.WriteAsync(key, new MemoryStream(RandomNumberGenerator.GetBytes(length))));

        Assert.Contains("MD5", error.Message);
        Assert.Null(await _store.OpenReadAsync(key));
    }

    public async ValueTask DisposeAsync() => await _container.DeleteIfExistsAsync();

    /// <summary>
    /// Records each Put Block's and Put Blob's Content-MD5 and body, and can flip one bit of a chosen one after the MD5 was set.
    /// </summary>
    private sealed class BlockTap : HttpPipelinePolicy
    {
        public List<(string Kind, byte[] Md5, byte[] Body)> Blocks { get; } = [];

        public int? DamageBlock { get; set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("the content store calls the service asynchronously");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var query = message.Request.Uri.Query.TrimStart('?').Split('&');
            var kind = query.Contains("comp=block") ? "block"
                : message.Request.Method == RequestMethod.Put && !query.Any(q => q.StartsWith("comp=", StringComparison.Ordinal) || q.StartsWith("restype=", StringComparison.Ordinal)) ? "blob"
                : null;
            if (kind is not null && message.Request.Content is { } content)
            {
                using var copy = new MemoryStream();
                await content.WriteToAsync(copy, message.CancellationToken);
                var body = copy.ToArray();
                var md5 = message.Request.Headers.TryGetValue("Content-MD5", out var header) ? Convert.FromBase64String(header) : [];
                if (DamageBlock == Blocks.Count)
                {
                    body[body.Length / 2] ^= 0x01;
                }
                Blocks.Add((kind, md5, body));
                message.Request.Content = RequestContent.Create(body);
            }
            await ProcessNextAsync(message, pipeline);
        }
    }
}
