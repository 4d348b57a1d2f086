using System.IO.Compression;
using Coffre.Domain.Content;

namespace Coffre.Adapters.Blob;

/// <summary>
/// Decompresses a blob kept as gzip (<see cref="BlobContentStore.WriteCompressibleAsync"/>). Bytes that do not
/// decompress are damaged content: <see cref="ContentIntegrityException"/>, as for a wrong hash, never a format error.
/// </summary>
internal sealed class GunzipReadStream(Stream compressed, ContentKey key) : Stream
{
    private readonly GZipStream _gzip = new(compressed, CompressionMode.Decompress);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _gzip.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _gzip.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(e);
        }
    }

    private ContentIntegrityException Damaged(InvalidDataException e) => new(key, e);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _gzip.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
