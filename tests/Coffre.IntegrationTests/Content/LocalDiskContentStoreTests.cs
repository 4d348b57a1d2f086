using Coffre.Adapters.Local;
using Coffre.Domain.Content;


namespace Coffre.IntegrationTests.Content;

public sealed class LocalDiskContentStoreTests : ContentStoreContract, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffre-content-" + Guid.NewGuid().ToString("N"));
    private readonly LocalDiskContentStore _store;

    public LocalDiskContentStoreTests() => _store = new LocalDiskContentStore(_root);

    protected override IContentStore Store => _store;

    protected override async Task TamperAsync(ContentKey key, byte[] newBytes)
    {
        var path = Path.Combine(_root, key.Value + ".blob");
        var header = (await File.ReadAllBytesAsync(path))[..65];
        await File.WriteAllBytesAsync(path, [.. header, .. newBytes]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
