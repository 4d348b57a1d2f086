using BenchmarkDotNet.Attributes;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Benchmarks.Security;

/// <summary>
/// The authentication step of one GraphQL request (<c>POST /graphql</c>), with the embedded default's own
/// authentication composition (<see cref="AuthenticationHosting.AddCoffreAuthentication"/>: OpenIddict's server and
/// validation, the development key's JWT bearer): ASP.NET Core's <c>UseAuthentication</c> (baseline), which offers every
/// request to OpenIddict's server first, against <see cref="AuthenticationHosting.UseCoffreAuthentication"/>. Each
/// request gets its own service scope, as in the server.
/// </summary>
[MemoryDiagnoser]
public class AuthenticationStepBenchmarks
{
    private string _data = null!;
    private ServiceProvider _services = null!;
    private RequestDelegate _aspNetCore = null!;
    private RequestDelegate _coffre = null!;
    private string? _authorization;

    [Params("anonymous", "bearer")]
    public string Caller { get; set; } = "anonymous";

    [GlobalSetup]
    public void Setup()
    {
        _data = Path.Combine(Path.GetTempPath(), "coffre-auth-bench-" + Guid.NewGuid().ToString("N"));
        var options = new CoffreOptions { DataPath = _data };
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCoffreAuthentication(configuration, options);
        _services = services.BuildServiceProvider();
        _aspNetCore = Pipeline(app => app.UseAuthentication());
        _coffre = Pipeline(app => app.UseCoffreAuthentication());
        var key = AuthSettings.Read(configuration).ResolveSigningKey(options)!;
        _authorization = Caller == "bearer"
            ? "Bearer " + TokenIssuer.Mint(AuthSettings.Read(configuration), key, "professional", "dr-1", "10003400510", TimeSpan.FromHours(1))
            : null;
        foreach (var pipeline in new[] { _aspNetCore, _coffre })
        {
            if (Run(pipeline).GetAwaiter().GetResult() != (Caller == "bearer"))
            {
                throw new InvalidOperationException("the two pipelines authenticate the caller differently");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<bool> AspNetCoreUseAuthentication() => Run(_aspNetCore);

    [Benchmark]
    public Task<bool> CoffreBearerAuthentication() => Run(_coffre);

    private RequestDelegate Pipeline(Action<IApplicationBuilder> authentication)
    {
        var app = new ApplicationBuilder(_services);
        authentication(app);
        app.Run(_ => Task.CompletedTask);
        return app.Build();
    }

    /// <summary>One request through <paramref name="pipeline"/>; true when it came out authenticated.</summary>
    private async Task<bool> Run(RequestDelegate pipeline)
    {
        await using var scope = _services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = HttpMethods.Post;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("127.0.0.1", 5080);
        http.Request.Path = "/graphql";
        if (_authorization is not null)
        {
            http.Request.Headers.Authorization = _authorization;
        }
        await pipeline(http);
        return http.User.Identity?.IsAuthenticated == true;
    }
}
