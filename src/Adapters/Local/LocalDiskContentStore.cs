using System.Security.Cryptography;
using System.Text;
using Coffre.Domain.Content;

namespace Coffre.Adapters.Local;

/// <summary>
/// Content on local disk, for the embedded default. Each key is one file <c>{root}/{key}.blob</c> whose first
/// 65 bytes are the SHA-256 in hex and a newline, followed by the content. A write goes to a temporary file,
/// is flushed to disk, and is renamed into place, so a reader sees the old content or the new, never a mix.
/// </summary>
public sealed class LocalDiskContentStore : IContentStore
{
    private const int HeaderLength = 65;
    private const string Suffix = ".blob";
    private readonly string _root;
    private readonly string _staging;

    public LocalDiskContentStore(string root)
    {
        _root = Path.GetFullPath(root);
        _staging = Path.Combine(_root, ".staging");
        Directory.CreateDirectory(_staging);
    }

    public async Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default)
    {
        var temp = Path.Combine(_staging, Guid.NewGuid().ToString("N"));
        try
        {
            long length = 0;
            string actual;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                file.Write(new byte[HeaderLength]);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int n;
                while ((n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    length += n;
                }
                actual = Sha256Hex.Of(hash);
                if (expectedSha256 is not null && !Sha256Hex.Matches(expectedSha256, actual))
                {
                    throw new ContentHashMismatchException(expectedSha256, actual);
                }
                file.Position = 0;
                await file.WriteAsync(Encoding.ASCII.GetBytes(actual + "\n"), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            var target = PathOf(key);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temp, target, overwrite: true);
            return new StoredContent(key, length, actual);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default)
    {
        FileStream file;
        try
        {
            file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var header = new byte[HeaderLength];
        await file.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var sha = Encoding.ASCII.GetString(header, 0, 64);
        var length = file.Length - HeaderLength;
        return new ContentReader(new VerifyingReadStream(file, key, sha, length), length, sha);
    }

    public Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        return Task.FromResult(true);
    }

    public async Task CheckReadyAsync(CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(_staging, "ready-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(probe, [1], cancellationToken).ConfigureAwait(false);
        File.Delete(probe);
    }

    private string PathOf(ContentKey key) => Path.Combine(_root, key.Value + Suffix);
}
