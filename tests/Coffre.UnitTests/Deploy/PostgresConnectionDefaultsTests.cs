using Coffre.Adapters.Postgres;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Xunit;

namespace Coffre.UnitTests.Deploy;

/// <summary>The silo's pool reads with a 256 KiB buffer unless the operator's connection string sets another size.</summary>
public sealed class PostgresConnectionDefaultsTests
{
    private static NpgsqlConnectionStringBuilder Built(string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [Settings.PostgresKey] = connectionString }).Build();
        using var dataSource = Settings.PostgresDataSource(configuration);
        return new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
    }

    [Fact]
    public void Npgsqls_8_KiB_read_buffer_becomes_256_KiB_and_the_rest_is_kept()
    {
        var built = Built("Host=127.0.0.1;Port=5433;Database=coffre;Maximum Pool Size=40");
        Assert.Equal(PostgresAdapter.ReadBufferSize, built.ReadBufferSize);
        Assert.Equal(("127.0.0.1", 5433, "coffre", 40), (built.Host, built.Port, built.Database, built.MaxPoolSize));
    }

    [Fact]
    public void A_read_buffer_the_operator_sets_is_kept()
    {
        Assert.Equal(65536, Built("Host=db;Read Buffer Size=65536").ReadBufferSize);
        Assert.Equal(16384, new NpgsqlConnectionStringBuilder(PostgresAdapter.WithCoffreDefaults("Host=db;ReadBufferSize=16384")).ReadBufferSize);
    }
}
