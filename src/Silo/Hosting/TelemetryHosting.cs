using Coffre.Application.Rollout;
using Coffre.GraphQL.Transport;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Coffre.Silo.Hosting;

/// <summary>
/// OpenTelemetry metrics (Orleans, Coffre's own meters <c>Coffre</c>, <c>Coffre.Rollout</c>, <c>Coffre.Api</c>, ASP.NET Core,
/// runtime, Npgsql) and traces over OTLP, only when an endpoint is configured.
/// </summary>
public static class TelemetryHosting
{
    public static IServiceCollection AddCoffreTelemetry(this IServiceCollection services, CoffreOptions options)
    {
        if (string.IsNullOrEmpty(options.OtlpEndpoint))
        {
            return services;
        }
        if (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var endpoint))
        {
            throw new StartupException($"setting Coffre:OtlpEndpoint (Coffre__OtlpEndpoint) is not an absolute URL: '{options.OtlpEndpoint}'");
        }
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("coffre-" + options.Role.ToString().ToLowerInvariant()))
            .WithMetrics(m => m
                .AddMeter("Microsoft.Orleans", "Coffre", RolloutMetrics.MeterName, ApiMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddOtlpExporter(o => o.Endpoint = endpoint))
            .WithTracing(t => t
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter(o => o.Endpoint = endpoint));
        return services;
    }
}
