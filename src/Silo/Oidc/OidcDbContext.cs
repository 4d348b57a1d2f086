using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;

namespace Coffre.Silo.Oidc;

/// <summary>
/// OpenIddict's applications, authorizations, scopes and tokens, plus the ASP.NET Core data-protection key ring
/// (antiforgery and the sign-in hand-off cookie must be readable by every silo and gateway). PostgreSQL in a cluster
/// (tables from <c>deploy/sql/0009_oidc.sql</c>), a SQLite file under the data folder in the embedded default.
/// </summary>
public sealed class OidcDbContext(DbContextOptions<OidcDbContext> options) : DbContext(options)
{
    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreApplication>().ToTable("oidc_application");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreAuthorization>().ToTable("oidc_authorization");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreScope>().ToTable("oidc_scope");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreToken>().ToTable("oidc_token");
        modelBuilder.Entity<DataProtectionKeyRow>(e =>
        {
            e.ToTable("oidc_data_protection_key");
            e.HasKey(k => k.Id);
            e.Property(k => k.FriendlyName).HasMaxLength(200);
        });
    }
}

/// <summary>One data-protection key (its XML as ASP.NET Core writes it).</summary>
public sealed class DataProtectionKeyRow
{
    public int Id { get; set; }
    public string? FriendlyName { get; set; }
    public string Xml { get; set; } = "";
}

/// <summary>The data-protection key ring kept in <see cref="OidcDbContext"/>, shared by every process of a cluster.</summary>
public sealed class OidcXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OidcDbContext>();
        return db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToList().Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OidcDbContext>();
        db.DataProtectionKeys.Add(new DataProtectionKeyRow { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
