using Azure.Storage.Blobs;
using Coffre.Domain.Content;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Adapters.Blob;

/// <summary>Registers Azure Blob storage behind the content port.</summary>
public static class BlobAdapter
{
    public static IServiceCollection AddCoffreBlobContent(this IServiceCollection services, BlobServiceClient blobs, string container)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentException.ThrowIfNullOrEmpty(container);
        services.AddSingleton<IContentStore>(_ => new BlobContentStore(blobs.GetBlobContainerClient(container)));
        return services;
    }
}
