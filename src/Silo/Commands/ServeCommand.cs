using Coffre.GraphQL;
using Coffre.GraphQL.Transport;
using Coffre.GraphQL.Types;
using Coffre.Silo.Hosting;
using Coffre.Silo.Oidc;
using Coffre.Storage.Content;
using Coffre.Storage.Postgres;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;

namespace Coffre.Silo.Commands;

/// <summary>Starts Coffre in one of its roles and serves GraphQL until stopped.</summary>
public static class ServeCommand
{
    private const string DefaultUrl = "http://127.0.0.1:5080";

    public static async Task<int> RunAsync(CoffreRole? role, string[] args)
    {
        var app = await BuildAsync(role, args);
        await app.StartAsync();
        var options = app.Services.GetRequiredService<CoffreOptions>();
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            Console.WriteLine($"Coffre {options.Role.ToString().ToLowerInvariant()} ready: GraphQL at {address.TrimEnd('/')}{GraphQLServiceCollectionExtensions.Path}");
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    public static async Task<WebApplication> BuildAsync(CoffreRole? role, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (role is not null)
        {
            builder.Configuration[$"{CoffreOptions.Section}:Role"] = role.ToString();
        }
        var options = Settings.ReadOptions(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["Urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.AddCoffreLogging();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);
        if (options.Role != CoffreRole.Embedded)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
            var dataSource = Settings.PostgresDataSource(builder.Configuration);
            await PreflightPostgresAsync(dataSource);
            builder.Services.AddSingleton(dataSource);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new ServiceInfo("coffre", typeof(ServeCommand).Assembly.GetName().Version?.ToString() ?? "0", options.Role.ToString().ToLowerInvariant()));
        builder.Services.AddCoffreContentStore(builder.Configuration, options);
        builder.Services.AddCoffreVaults(builder.Configuration, options);
        builder.Services.AddCoffreRollout(builder.Configuration, options);
        builder.Services.AddCoffreHealth(options);
        builder.Services.AddCoffreAuthentication(builder.Configuration, options);
        builder.Services.AddCoffreGraphQL(builder.Configuration, introspectionByDefault: options.Role == CoffreRole.Embedded, graphiqlByDefault: options.Role == CoffreRole.Embedded);
        builder.Services.AddCoffreTelemetry(options);
        if (options.Role == CoffreRole.Gateway)
        {
            builder.AddCoffreClient(options);
        }
        else
        {
            builder.AddCoffreSilo(options);
            builder.AddCoffreDashboard(options);
        }

        var app = builder.Build();
        if (options.Role != CoffreRole.Embedded)
        {
            await PreflightContentAsync(app.Services.GetRequiredService<IContentStore>(), options);
        }
        app.UseCoffreErrorBoundary();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseCoffreDashboardGuard(options);
        app.MapCoffreHealth();
        app.MapCoffreGraphQL();
        if (app.Services.GetRequiredService<OidcIssuer>().Uri is not null)
        {
            app.MapCoffreOidc();
        }
        app.MapCoffreDashboard(options);
        return app;
    }

    private static async Task PreflightPostgresAsync(NpgsqlDataSource dataSource)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await new SchemaMigrator(dataSource).EnsureCurrentAsync(timeout.Token);
        }
        catch (SchemaVersionException e)
        {
            throw new StartupException(e.Message, 4);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            throw new StartupException($"PostgreSQL at {Settings.Describe(dataSource)} is unreachable ({Settings.PostgresKey}): {FirstLine(e)}", 3);
        }
    }

    private static async Task PreflightContentAsync(IContentStore store, CoffreOptions options)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await store.CheckReadyAsync(timeout.Token);
        }
        catch (Exception e)
        {
            throw new StartupException($"Blob storage container '{options.BlobContainer}' is unreachable ({Settings.BlobKey}): {FirstLine(e)}", 3);
        }
    }

    private static string FirstLine(Exception e) => (e.InnerException is { } inner && e is not ContentStoreException ? inner.Message : e.Message).Split('\n')[0].Trim();
}
