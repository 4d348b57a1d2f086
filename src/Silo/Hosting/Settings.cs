using Azure.Storage.Blobs;
using Coffre.Adapters.Postgres;
using Npgsql;

namespace Coffre.Silo.Hosting;

/// <summary>Reads and checks the settings a role needs; every failure names the setting and its environment variable.</summary>
public static class Settings
{
    public const string PostgresKey = "ConnectionStrings:Postgres";
    public const string BlobKey = "ConnectionStrings:Blob";

    /// <summary>Folder of the file delivery channels (default: the data folder's <c>notifications</c>).</summary>
    public const string NotificationFolderKey = "Coffre:Notifications:FilePath";

    public static CoffreOptions ReadOptions(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(CoffreOptions.Section).Get<CoffreOptions>() ?? new CoffreOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"setting under '{CoffreOptions.Section}' has a wrong value: {e.Message.Split('\n')[0]}");
        }
    }

    public static NpgsqlDataSource PostgresDataSource(IConfiguration configuration)
    {
        var value = Required(configuration, PostgresKey);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"setting {PostgresKey} ({EnvName(PostgresKey)}) is not a valid PostgreSQL connection string: {e.Message.Split('\n')[0]}");
        }
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new StartupException($"setting {PostgresKey} ({EnvName(PostgresKey)}) names no Host");
        }
        return new NpgsqlDataSourceBuilder(PostgresAdapter.WithCoffreDefaults(builder.ConnectionString)).Build();
    }

    public static string PostgresConnectionString(IConfiguration configuration) => Required(configuration, PostgresKey);

    public static BlobServiceClient BlobService(IConfiguration configuration)
    {
        var value = Required(configuration, BlobKey);
        try
        {
            var options = new BlobClientOptions();
            options.Retry.MaxRetries = 3;
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
            return new BlobServiceClient(value, options);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new StartupException($"setting {BlobKey} ({EnvName(BlobKey)}) is not a valid Azure Storage connection string: {e.Message.Split('\n')[0]}");
        }
    }

    public static string Describe(NpgsqlDataSource dataSource)
    {
        var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    public static string EnvName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static string Required(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value
            ? value
            : throw new StartupException($"setting {key} ({EnvName(key)}) is missing");
}
