namespace Coffre.Domain.Content;

/// <summary>
/// Where document content lives. Metadata stays in grain state; only the bytes come here.
/// Every implementation passes the same contract tests (tests/Coffre.IntegrationTests/Content).
/// </summary>
public interface IContentStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to <paramref name="key"/>, computing its SHA-256 on the way.
    /// When <paramref name="expectedSha256"/> is given and differs, nothing is stored and
    /// <see cref="ContentHashMismatchException"/> is thrown. Readers never see a partial write.
    /// </summary>
    Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the content for reading, or null when the key holds nothing. The stream verifies the stored
    /// SHA-256 as it reaches the end and throws <see cref="ContentIntegrityException"/> on a mismatch.
    /// </summary>
    Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default);

    /// <summary>Deletes the content; false when there was nothing to delete.</summary>
    Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default);

    /// <summary>Checks that the store can be reached and written to (readiness probe).</summary>
    Task CheckReadyAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a successful write stored.</summary>
public sealed record StoredContent(ContentKey Key, long Length, string Sha256);

/// <summary>An open content stream with its stored length and hash; dispose it.</summary>
public sealed class ContentReader(Stream stream, long length, string sha256) : IAsyncDisposable, IDisposable
{
    public Stream Stream { get; } = stream;
    public long Length { get; } = length;
    public string Sha256 { get; } = sha256;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
    public void Dispose() => Stream.Dispose();
}

public class ContentStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The bytes received do not hash to what the caller declared.</summary>
public sealed class ContentHashMismatchException(string expected, string actual)
    : ContentStoreException($"content SHA-256 is {actual}, the declared sha256 was {expected}")
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}

/// <summary>The stored bytes no longer hash to the SHA-256 recorded when they were written.</summary>
public sealed class ContentIntegrityException(ContentKey key)
    : ContentStoreException($"stored content '{key}' failed its SHA-256 integrity check")
{
    public ContentKey Key { get; } = key;
}

/// <summary>Another writer committed the same key at the same moment; this write was not stored.</summary>
public sealed class ContentConflictException(ContentKey key, Exception? inner = null)
    : ContentStoreException($"content '{key}' was written concurrently by another writer; retry", inner);

/// <summary>The store could not be reached.</summary>
public sealed class ContentStoreUnavailableException(string message, Exception? inner = null)
    : ContentStoreException(message, inner);
