using Coffre.Adapters.Blob;
using Coffre.Adapters.Local;
using Coffre.Domain.Content;


namespace Coffre.Silo.Hosting;

public static class ContentStoreHosting
{
    /// <summary>Local disk when embedded, Azure Blob storage in a cluster.</summary>
    public static IServiceCollection AddCoffreContentStore(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        if (options.Role == CoffreRole.Embedded)
        {
            var root = Path.Combine(Path.GetFullPath(options.DataPath), "content");
            services.AddSingleton<IContentStore>(_ => new LocalDiskContentStore(root));
        }
        else
        {
            var blobs = Settings.BlobService(configuration);
            services.AddSingleton<IContentStore>(_ => new BlobContentStore(blobs.GetBlobContainerClient(options.BlobContainer)));
        }
        return services;
    }
}
