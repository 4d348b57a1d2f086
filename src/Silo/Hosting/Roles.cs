using Coffre.Adapters.Blob;
using Coffre.Adapters.Fhir;
using Coffre.Adapters.Local;
using Coffre.Adapters.Postgres;
using Coffre.Adapters.Sms;
using Coffre.Adapters.Smtp;
using Coffre.Application;
using Coffre.Application.Outbox;
using Coffre.Domain.Rollout;
using Coffre.Grains;
using Coffre.Grains.Rollout;
using Coffre.Grains.Vaults;
using Coffre.GraphQL;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.GraphiQL;
using Coffre.GraphQL.Transport;
using Coffre.GraphQL.Types;
using Coffre.Silo.Oidc;
using Coffre.Silo.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coffre.Silo.Hosting;

/// <summary>
/// The one place where Coffre is composed: each role of the executable (and the operator verbs) is a list of the
/// rooms' <c>Add…</c> extensions — adapters by technology, the application layer, the grains, the GraphQL API — and every
/// options type is bound here and validated at start.
/// </summary>
public static class Roles
{
    /// <summary>Options types bound so far, the configuration section of each (for error messages).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> Sections = new();

    /// <summary>A server role: embedded (everything in one process, local adapters), silo (PostgreSQL + Blob) or gateway (an Orleans client).</summary>
    public static WebApplicationBuilder AddCoffreServer(this WebApplicationBuilder builder, CoffreOptions options, NpgsqlDataSource? dataSource)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        // Counted by the HTTP pipeline (UseCoffreServer) and a silo's grain-call filter; bulk background work paces itself on it.
        services.AddSingleton(sp => new InteractiveLoad(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new ServiceInfo("coffre", typeof(Roles).Assembly.GetName().Version?.ToString() ?? "0", options.Role.ToString().ToLowerInvariant()));
        services.AddCoffreAccess();
        services.AddSingleton(KeyMaterial.NirHasher(configuration, options));
        services.AddSingleton<IPatientTokenIssuer, PatientTokenIssuer>();
        switch (options.Role)
        {
            case CoffreRole.Embedded:
                services.AddCoffreLocal(options.DataPath, KeyMaterial.AuditHeadKey(configuration, options));
                AddSiloWork(services, configuration, options);
                break;
            case CoffreRole.Silo:
                services.AddCoffrePostgres(Required(dataSource), KeyMaterial.AuditHeadKey(configuration, options));
                services.AddCoffreBlobContent(Settings.BlobService(configuration), options.BlobContainer);
                AddSiloWork(services, configuration, options);
                break;
            case CoffreRole.Gateway:
                // Grains and their stores live on silos; the gateway streams content and checks PostgreSQL for readiness.
                services.AddSingleton(Required(dataSource));
                services.AddCoffreBlobContent(Settings.BlobService(configuration), options.BlobContainer);
                break;
        }
        services.AddCoffreHealth(options);
        services.AddCoffreAuthentication(configuration, options);
        services.AddCoffreGraphQL(introspectionByDefault: options.Role == CoffreRole.Embedded, graphiqlByDefault: options.Role == CoffreRole.Embedded);
        services.AddCoffreTelemetry(options);
        BindAll(services, configuration);
        if (options.Role == CoffreRole.Gateway)
        {
            builder.AddCoffreClient(options);
        }
        else
        {
            builder.AddCoffreSilo(options);
            builder.AddCoffreDashboard(options);
        }
        return builder;
    }

    /// <summary>The HTTP pipeline of every server role.</summary>
    public static WebApplication UseCoffreServer(this WebApplication app, CoffreOptions options)
    {
        app.UseCoffreErrorBoundary();
        var load = app.Services.GetRequiredService<InteractiveLoad>();
        app.Use((HttpContext http, RequestDelegate next) =>
        {
            if (!http.Request.Path.StartsWithSegments(HealthHosting.PathPrefix))
            {
                load.Record();
            }
            return next(http);
        });
        app.UseWebSockets();
        app.UseCoffreAuthentication();
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

    /// <summary>
    /// What the operator verbs (import, campaign, audit-verify) use: the cluster's PostgreSQL and Blob adapters and the
    /// keys of a silo, in a host without Orleans or a web server (the verb's host registers the options and the clock).
    /// </summary>
    public static IHostApplicationBuilder AddCoffreOperatorTools(this IHostApplicationBuilder builder, CoffreOptions options, NpgsqlDataSource dataSource)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(KeyMaterial.NirHasher(configuration, options));
        services.AddSingleton(KeyMaterial.CodeHasher(configuration, options));
        services.AddSingleton(KeyMaterial.DeliveryCipher(configuration, options));
        services.AddCoffrePostgres(dataSource, KeyMaterial.AuditHeadKey(configuration, options));
        services.AddCoffreBlobContent(Settings.BlobService(configuration), options.BlobContainer);
        BindAll(services, configuration);
        return builder;
    }

    /// <summary>
    /// Turns a failed options validation into the one-line error operators get for other settings (the section, the
    /// member and the rule), or null when <paramref name="e"/> is something else.
    /// </summary>
    public static string? DescribeInvalidSettings(Exception e)
    {
        if (e is not OptionsValidationException invalid)
        {
            return null;
        }
        var section = Sections.GetValueOrDefault(invalid.OptionsType, invalid.OptionsType.Name);
        return $"settings under {section} ({Settings.EnvName(section)}__…) are invalid: {string.Join("; ", invalid.Failures)}";
    }

    /// <summary>Setting this switches the email channel from the file sink to SMTP (<see cref="SmtpOptions"/>).</summary>
    private const string SmtpHostKey = SmtpOptions.Section + ":Host";

    /// <summary>Setting this sends SMS alerts to the HTTP provider (<see cref="SmsOptions"/>) instead of the file sink.</summary>
    private const string SmsUrlKey = SmsOptions.Section + ":Url";

    private static void AddSiloWork(IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        // Codes are issued and verified on silos only (the activation grain); gateways never see these keys.
        services.AddSingleton(KeyMaterial.CodeHasher(configuration, options));
        services.AddSingleton(KeyMaterial.DeliveryCipher(configuration, options));
        services.AddCoffreGrainServices();
        // The FHIR R4 views and the export's Bundle (Firely SDK) behind the port the export and FHIR grains use.
        services.AddCoffreFhir();
        var folder = configuration[Settings.NotificationFolderKey] is { Length: > 0 } f ? f : Path.Combine(options.DataPath, "notifications");
        if (configuration[SmtpHostKey] is { Length: > 0 })
        {
            // Campaign emails leave through the configured SMTP relay; the other channels keep their file sinks.
            services.AddCoffreFileDelivery(folder, except: OutboxChannel.Email);
            services.AddCoffreSmtp();
            Bind<SmtpOptions>(services, configuration, SmtpOptions.Section);
        }
        else
        {
            services.AddCoffreFileDelivery(folder);
        }
        if (configuration[SmsUrlKey] is { Length: > 0 })
        {
            // Alerts by SMS go to the HTTP provider; other SMS kinds (none today) keep the file sink.
            services.AddCoffreSms();
            Bind<SmsOptions>(services, configuration, SmsOptions.Section);
        }
        services.AddCoffreOutboxDispatcher();
    }

    /// <summary>Every options type, bound from its section and validated (data annotations) when the host starts.</summary>
    private static void BindAll(IServiceCollection services, IConfiguration configuration)
    {
        Bind<VaultOptions>(services, configuration, VaultOptions.Section);
        Bind<ActivationOptions>(services, configuration, ActivationOptions.Section);
        Bind<ActivationRateLimitOptions>(services, configuration, ActivationRateLimitOptions.Section);
        Bind<OutboxDispatcherOptions>(services, configuration, OutboxDispatcherOptions.Section);
        Bind<Coffre.Application.Mail.EmailBatchOptions>(services, configuration, Coffre.Application.Mail.EmailBatchOptions.Section);
        Bind<PostgresRolloutStoreOptions>(services, configuration, PostgresRolloutStoreOptions.Section);
        Bind<PostgresAuditLogOptions>(services, configuration, PostgresAuditLogOptions.Section);
        Bind<GraphQLOptions>(services, configuration, GraphQLOptions.Section);
        Bind<GraphiQLOptions>(services, configuration, GraphiQLOptions.Section);
        Bind<Coffre.GraphQL.Feeds.FeedOptions>(services, configuration, Coffre.GraphQL.Feeds.FeedOptions.Section);
        // A feed request's documents may declare in all what one document may weigh, unless set apart.
        // (read from the configuration, not from the bound VaultOptions: a wrong vault setting is reported once, by its own section)
        var maxDocumentBytes = long.TryParse(configuration[VaultOptions.Section + ":" + nameof(VaultOptions.MaxDocumentBytes)], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var configured) && configured > 0 ? configured : new VaultOptions().MaxDocumentBytes;
        services.AddOptions<Coffre.GraphQL.Feeds.FeedOptions>().PostConfigure(feeds => feeds.MaxRequestBytes ??= maxDocumentBytes);
    }

    private static void Bind<T>(IServiceCollection services, IConfiguration configuration, string section) where T : class
    {
        Sections[typeof(T)] = section;
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();
    }

    private static NpgsqlDataSource Required(NpgsqlDataSource? dataSource) =>
        dataSource ?? throw new InvalidOperationException("a cluster role needs its PostgreSQL data source");
}
