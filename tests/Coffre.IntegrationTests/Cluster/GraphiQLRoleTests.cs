using System.Net;
using System.Net.Http.Json;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// GraphiQL (/graphiql) in the cluster roles: absent by default while the same process serves GraphQL, served when
/// <c>Coffre:GraphiQL:Enabled</c> is true. (The embedded default serves it: tests/api/graphiql-browser.test.mjs.)
/// </summary>
public sealed class GraphiQLRoleTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Silo_and_gateway_do_not_serve_GraphiQL_by_default()
    {
        await using var cluster = await LocalCluster.StartAsync(silos: 1, gateway: true);
        foreach (var process in new[] { cluster.Silos[0], cluster.Gateway! })
        {
            var page = await Http.GetAsync(new Uri(process.BaseAddress, "/graphiql"));
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            var asset = await Http.GetAsync(new Uri(process.BaseAddress, "/graphiql/index.html"));
            Assert.Equal(HttpStatusCode.NotFound, asset.StatusCode);
            // The page is missing, not the server.
            var graphql = await Http.PostAsJsonAsync(new Uri(process.BaseAddress, "/graphql"), new { query = "{ service { role } }" });
            Assert.Equal(HttpStatusCode.OK, graphql.StatusCode);
        }
    }

    [Fact]
    public async Task A_silo_serves_GraphiQL_when_enabled()
    {
        await using var cluster = await LocalCluster.StartAsync(silos: 1, gateway: false,
            settings: new Dictionary<string, string> { ["Coffre__GraphiQL__Enabled"] = "true" });
        var page = await Http.GetAsync(new Uri(cluster.Silos[0].BaseAddress, "/graphiql"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", string.Join(";", page.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Contains("/graphiql/graphiql-", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
