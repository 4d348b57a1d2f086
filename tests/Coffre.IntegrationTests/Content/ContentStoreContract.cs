using System.Security.Cryptography;
using Coffre.Domain.Content;
using Xunit;

namespace Coffre.IntegrationTests.Content;

/// <summary>The contract every <see cref="IContentStore"/> passes: Azure Blob (on Azurite) and local disk alike.</summary>
public abstract class ContentStoreContract
{
    protected abstract IContentStore Store { get; }

    /// <summary>Changes the stored bytes behind the store's back, keeping its recorded hash.</summary>
    protected abstract Task TamperAsync(ContentKey key, byte[] newBytes);

    private static ContentKey NewKey() => new($"tests/{Guid.NewGuid():N}/content");

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    private async Task<byte[]> ReadAllAsync(ContentKey key)
    {
        await using var reader = await Store.OpenReadAsync(key) ?? throw new Xunit.Sdk.XunitException($"{key} not found");
        using var copy = new MemoryStream();
        await reader.Stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Write_then_read_returns_the_same_bytes_length_and_hash()
    {
        var key = NewKey();
        var bytes = RandomBytes(10_000);
        var stored = await Store.WriteAsync(key, new MemoryStream(bytes));

        Assert.Equal(bytes.Length, stored.Length);
        Assert.Equal(Sha256Hex.Of(bytes), stored.Sha256);
        await using var reader = await Store.OpenReadAsync(key);
        Assert.NotNull(reader);
        Assert.Equal(bytes.Length, reader.Length);
        Assert.Equal(stored.Sha256, reader.Sha256);
        Assert.Equal(bytes, await ReadAllAsync(key));
    }

    [Fact]
    public async Task Empty_content_round_trips()
    {
        var key = NewKey();
        var stored = await Store.WriteAsync(key, new MemoryStream([]));
        Assert.Equal(0, stored.Length);
        Assert.Empty(await ReadAllAsync(key));
    }

    [Fact]
    public async Task Large_content_streams_in_and_out_with_its_hash()
    {
        var key = NewKey();
        const long length = 48L * 1024 * 1024 + 12345;
        var expected = await Sha256Of(new PatternStream(length));
        var stored = await Store.WriteAsync(key, new PatternStream(length), expected);
        Assert.Equal(length, stored.Length);

        await using var reader = await Store.OpenReadAsync(key);
        Assert.Equal(expected, await Sha256Of(reader!.Stream));
    }

    [Fact]
    public async Task Declared_hash_that_does_not_match_stores_nothing()
    {
        var key = NewKey();
        var bytes = RandomBytes(5000);
        var wrong = Sha256Hex.Of(RandomBytes(10));
        var error = await Assert.ThrowsAsync<ContentHashMismatchException>(() => Store.WriteAsync(key, new MemoryStream(bytes), wrong));
        Assert.Equal(Sha256Hex.Of(bytes), error.Actual);
        Assert.Null(await Store.OpenReadAsync(key));
    }

    [Fact]
    public async Task Failed_overwrite_keeps_the_previous_content()
    {
        var key = NewKey();
        var original = RandomBytes(3000);
        await Store.WriteAsync(key, new MemoryStream(original));
        await Assert.ThrowsAsync<ContentHashMismatchException>(() => Store.WriteAsync(key, new MemoryStream(RandomBytes(100)), Sha256Hex.Of(RandomBytes(1))));
        Assert.Equal(original, await ReadAllAsync(key));
    }

    [Fact]
    public async Task Missing_key_reads_as_null_and_deletes_as_false()
    {
        var key = NewKey();
        Assert.Null(await Store.OpenReadAsync(key));
        Assert.False(await Store.DeleteAsync(key));
    }

    [Fact]
    public async Task Delete_removes_the_content()
    {
        var key = NewKey();
        await Store.WriteAsync(key, new MemoryStream(RandomBytes(100)));
        Assert.True(await Store.DeleteAsync(key));
        Assert.Null(await Store.OpenReadAsync(key));
        Assert.False(await Store.DeleteAsync(key));
    }

    [Fact]
    public async Task Tampered_content_fails_its_integrity_check_on_read()
    {
        var key = NewKey();
        var bytes = RandomBytes(4096);
        await Store.WriteAsync(key, new MemoryStream(bytes));
        var tampered = (byte[])bytes.Clone();
        tampered[100] ^= 0xFF;
        await TamperAsync(key, tampered);

        await Assert.ThrowsAsync<ContentIntegrityException>(() => ReadAllAsync(key));
    }

    [Fact]
    public async Task Concurrent_writers_to_distinct_keys_all_succeed()
    {
        var items = Enumerable.Range(0, 16).Select(_ => (Key: NewKey(), Bytes: RandomBytes(20_000))).ToList();
        await Task.WhenAll(items.Select(i => Store.WriteAsync(i.Key, new MemoryStream(i.Bytes))));
        foreach (var (key, bytes) in items)
        {
            Assert.Equal(bytes, await ReadAllAsync(key));
        }
    }

    [Fact]
    public async Task Concurrent_writers_to_one_key_leave_exactly_one_whole_version()
    {
        var key = NewKey();
        var versions = Enumerable.Range(0, 8).Select(_ => RandomBytes(300_000)).ToList();
        var outcomes = await Task.WhenAll(versions.Select(async v =>
        {
            try
            {
                await Store.WriteAsync(key, new MemoryStream(v));
                return true;
            }
            catch (ContentConflictException)
            {
                return false;
            }
        }));

        Assert.Contains(true, outcomes);
        var final = await ReadAllAsync(key);
        Assert.Contains(versions, v => v.AsSpan().SequenceEqual(final));
    }

    private static async Task<string> Sha256Of(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
        }
        return Sha256Hex.Of(hash);
    }

    /// <summary>A long deterministic stream that is never held in memory whole.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                var p = _position + i;
                buffer[offset + i] = (byte)((p * 31) ^ (p >> 13));
            }
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
