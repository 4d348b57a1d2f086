namespace Coffre.Silo.Hosting;

/// <summary>
/// Log rules no configuration can loosen: request lines carry URLs with their query strings (a GET query's
/// variables: NIRs, names), and Polly's per-attempt lines and Orleans' activation chatter drown what matters.
/// These categories log warnings and errors only, whatever <c>Logging:LogLevel</c> says (a rule added here is more
/// specific than, or registered after, the configuration's).
/// </summary>
public static class LoggingHosting
{
    private static readonly string[] WarningsOnly =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",      // "Request starting GET http://…/graphql?query=…&variables=…"
        "Microsoft.AspNetCore.Routing.EndpointMiddleware",
        "Microsoft.AspNetCore.Http.Result",
        "Microsoft.AspNetCore.HttpLogging",
        "System.Net.Http.HttpClient",                    // outgoing URLs (Blob storage paths name vaults)
        "Polly",                                         // one line per placement attempt
        "Orleans.Runtime.Catalog",                       // activation and deactivation of every grain
        "Orleans.Runtime.ActivationData",
        "Orleans.Runtime.Placement",
        "Orleans.Runtime.GrainDirectory",
    ];

    public static WebApplicationBuilder AddCoffreLogging(this WebApplicationBuilder builder)
    {
        foreach (var category in WarningsOnly)
        {
            builder.Logging.AddFilter(category, LogLevel.Warning);
        }
        return builder;
    }
}
