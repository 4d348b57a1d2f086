using System.Text;
using Coffre.Domain;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Transport;
using Orleans.Dashboard;

namespace Coffre.Silo.Hosting;

/// <summary>
/// Orleans Dashboard at <c>/dashboard</c>: on in the embedded default, off in a cluster unless <c>Coffre:Dashboard</c> is
/// true, and whenever it is on, for operators only: an operator token as <c>Authorization: Bearer</c>, or as the password
/// of the browser's Basic prompt (any user name).
/// </summary>
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

    /// <summary>Refuses every dashboard request (page, API, assets) that does not carry an operator token.</summary>
    public static WebApplication UseCoffreDashboardGuard(this WebApplication app, CoffreOptions options)
    {
        if (Enabled(options) && options.Role != CoffreRole.Gateway)
        {
            app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (HttpContext http, RequestDelegate next) =>
            {
                var user = http.User.Identity?.IsAuthenticated == true ? http.User : await FromBasicPasswordAsync(http);
                // Grain statistics: the support role (the evaluator's operator decision).
                if (Coffre.Domain.Access.AccessEvaluator.DecideOperator(CallerFactory.From(user), Coffre.Domain.Access.OperatorAction.Statistics).Allowed)
                {
                    await next(http);
                    return;
                }
                await ErrorResponses.WriteAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated,
                    "the dashboard is for operators with the support role: send an operator token (Bearer, or as the Basic password)",
                    challenge: "Basic realm=\"Coffre dashboard: an operator token as password\", charset=\"UTF-8\"");
            }));
        }
        return app;
    }

    private static async Task<System.Security.Claims.ClaimsPrincipal?> FromBasicPasswordAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 8192)
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var separator = decoded.IndexOf(':');
        return separator < 0 ? null
            : await http.RequestServices.GetRequiredService<IWebSocketAuthenticator>().AuthenticateAsync(decoded[(separator + 1)..], http.RequestAborted);
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
