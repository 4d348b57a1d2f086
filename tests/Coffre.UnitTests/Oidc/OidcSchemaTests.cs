using Coffre.Silo.Oidc;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Coffre.UnitTests.Oidc;

/// <summary>The provider's PostgreSQL tables come from Coffre's migrator (deploy/sql/0009_oidc.sql): they must match the EF model.</summary>
public sealed class OidcSchemaTests
{
    private static string ModelScript()
    {
        var options = new DbContextOptionsBuilder<OidcDbContext>().UseNpgsql("Host=unused").UseOpenIddict().Options;
        using var db = new OidcDbContext(options);
        return db.Database.GenerateCreateScript();
    }

    [Fact]
    public void Migration_0009_creates_what_the_EF_model_needs()
    {
        var script = ModelScript();
        if (Environment.GetEnvironmentVariable("COFFRE_WRITE_OIDC_SQL") is { Length: > 0 } path)
        {
            File.WriteAllText(path, script);
        }
        var migration = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "deploy", "sql", "0009_oidc.sql"));
        foreach (var line in script.Split('\n').Select(l => l.Trim().TrimEnd(',', ';')).Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal)))
        {
            var expected = line.Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal)
                .Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal)
                .Replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", StringComparison.Ordinal);
            Assert.True(migration.Contains(expected, StringComparison.Ordinal), $"0009_oidc.sql lacks: {expected}");
        }
    }
}
