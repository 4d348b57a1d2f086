using Orleans.Dashboard;

namespace Coffre.Silo.Hosting;

/// <summary>Orleans Dashboard at <c>/dashboard</c>: on in the embedded default, off in a cluster unless <c>Coffre:Dashboard</c> is true.</summary>
public static class DashboardHosting
{
    public const string Path = "/dashboard";

    private static bool Enabled(CoffreOptions options) => options.Dashboard ?? options.Role == CoffreRole.Embedded;

    public static WebApplicationBuilder AddCoffreDashboard(this WebApplicationBuilder builder, CoffreOptions options)
    {
        if (Enabled(options) && options.Role != CoffreRole.Gateway)
        {
            builder.UseOrleans(silo => silo.AddDashboard(o => o.HideTrace = true));
        }
        return builder;
    }

    public static WebApplication MapCoffreDashboard(this WebApplication app, CoffreOptions options)
    {
        if (Enabled(options) && options.Role != CoffreRole.Gateway)
        {
            app.MapOrleansDashboard(routePrefix: Path);
        }
        return app;
    }
}
