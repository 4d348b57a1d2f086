using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Coffre.Domain.Identifiers;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// An appointment reminder on the real stack (3 silo processes, Orleans reminders and grain state on PostgreSQL): the silo
/// hosting the person's agenda is killed with SIGKILL before the reminder is due, and the in-app notification still appears
/// in the outbox exactly once (another silo's reminder service fires it; a re-delivery would enqueue the same id).
/// </summary>
public sealed class ReminderFailoverTests : IAsyncLifetime
{
    private LocalCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await LocalCluster.StartAsync(silos: 3, gateway: false);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_reminder_fires_exactly_once_across_a_kill_9_of_the_silo_hosting_the_agenda()
    {
        var silo0 = _cluster.Silos[0].BaseAddress;
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        var rpps = body + Luhn.CheckDigit(body);
        await GraphQLAsync(silo0, _cluster.OperatorToken(), """
            mutation($i: RegisterProfessionalInput!) { registerProfessional(input: $i) { professional { rpps } userErrors { field message } } }
            """, new { i = new { rpps, displayName = "Mme Diallo", professionCode = "SOC-AS", sector = "SOCIAL" } });
        var social = _cluster.Token("professional", "sw-1", rpps, "SOC-AS");
        var opened = await GraphQLAsync(silo0, social, """
            mutation($i: OpenVaultInput!) { openVault(input: $i) { vault { vaultId } userErrors { field message } } }
            """, new { i = new { identity = new { familyName = "Nguyen", givenNames = "Lan", birthDate = "1990-02-03", sex = "FEMALE" },
                consent = new { method = "SIGNED_PAPER", expiresAt = DateTimeOffset.UtcNow.AddMonths(6), evidence = "form 7" } } });
        var vaultId = opened["openVault"]!["vault"]!["vaultId"]!.GetValue<string>();

        // The referent adds an appointment whose one reminder (5 minutes before) is due a minute from now, through silo 0:
        // the agenda grain is placed there (prefer-local) and its reminder registered in PostgreSQL.
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(6);
        var created = await GraphQLAsync(silo0, social, """
            mutation($i: CreateAppointmentInput!) { createAppointment(input: $i) { appointment { appointmentId } userErrors { code field message } } }
            """, new { i = new { vaultId, title = "Blood test", startsAt, endsAt = startsAt.AddMinutes(15), reminderOffsetsMinutes = new[] { 5 } } });
        Assert.NotNull(created["createAppointment"]!["appointment"]);
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(_cluster.ConnectionString,
            $"SELECT count(*) FROM orleans_reminders WHERE grainid LIKE '%agenda-{vaultId}'"));

        await _cluster.Silos[0].KillAsync();

        var count = $"SELECT count(*) FROM outbox WHERE recipient = '{vaultId}' AND kind = 'appointment-reminder'";
        var clock = Stopwatch.StartNew();
        while (await TestServices.ScalarAsync<long>(_cluster.ConnectionString, count) == 0 && clock.Elapsed < TimeSpan.FromMinutes(2.5))
        {
            await Task.Delay(1000);
        }
        Assert.True(await TestServices.ScalarAsync<long>(_cluster.ConnectionString, count) == 1, "no reminder after the kill\n" + _cluster.Diagnostics());

        // One more reminder period (the retry a lost firing would get): still exactly one.
        await Task.Delay(TimeSpan.FromSeconds(65));
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(_cluster.ConnectionString, count));
    }

    private static async Task<JsonObject> GraphQLAsync(Uri server, string token, string query, object variables)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(json["errors"] is null, json.ToJsonString());
        return json["data"]!.AsObject();
    }
}
