using Coffre.Adapters.Local;
using Coffre.Application.Directory;

namespace Coffre.IntegrationTests.DirectorySearch;

/// <summary>The directory index contract on the embedded default's memory index.</summary>
public sealed class InMemoryDirectoryIndexTests : DirectoryIndexContract
{
    private readonly InMemoryDirectoryIndex _index = new();

    protected override IDirectoryIndex Index => _index;

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;
}
