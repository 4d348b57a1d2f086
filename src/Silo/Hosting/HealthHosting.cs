using Coffre.Adapters.Postgres;
using Coffre.Domain.Content;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Coffre.Silo.Hosting;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: PostgreSQL (schema at the right version) and content storage answer.</summary>
public static class HealthHosting
{
    private const string Ready = "ready";

    /// <summary>Where the probes live (not counted as interactive load).</summary>
    public const string PathPrefix = "/health";

    public static IServiceCollection AddCoffreHealth(this IServiceCollection services, CoffreOptions options)
    {
        var checks = services.AddHealthChecks();
        checks.AddCheck<ContentStoreHealthCheck>("content", tags: [Ready]);
        if (options.Role != CoffreRole.Embedded)
        {
            checks.AddCheck<PostgresHealthCheck>("postgres", tags: [Ready]);
        }
        if (options.Role == CoffreRole.Gateway)
        {
            checks.AddCheck<ClusterClientHealthCheck>("cluster", tags: [Ready]);
        }
        return services;
    }

    public static WebApplication MapCoffreHealth(this WebApplication app)
    {
        app.MapHealthChecks(PathPrefix + "/live", new() { Predicate = _ => false });
        app.MapHealthChecks(PathPrefix + "/ready", new()
        {
            Predicate = c => c.Tags.Contains(Ready),
            ResponseWriter = WriteReport,
        });
        return app;
    }

    private static Task WriteReport(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }

    private sealed class ContentStoreHealthCheck(IContentStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await store.CheckReadyAsync(timeout.Token);
                return HealthCheckResult.Healthy("content store answers");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy($"content store unreachable: {e.GetType().Name}");
            }
        }
    }

    private sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await new SchemaMigrator(dataSource).EnsureCurrentAsync(timeout.Token);
                return HealthCheckResult.Healthy("PostgreSQL answers, schema current");
            }
            catch (SchemaVersionException e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy($"PostgreSQL {Settings.Describe(dataSource)} unreachable: {e.GetType().Name}");
            }
        }
    }

    private sealed class ClusterClientHealthCheck(IClusterClient client) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                return hosts.Count > 0 ? HealthCheckResult.Healthy($"{hosts.Count} active silos") : HealthCheckResult.Unhealthy("no active silo");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy($"cluster unreachable: {e.GetType().Name}");
            }
        }
    }
}
