using Coffre.Silo.Commands;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Coffre.UnitTests.Deploy;

/// <summary>Every options type is validated when the server starts: a wrong setting stops it with one line naming the section, the member and the rule.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("coffre-options-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Theory]
    [InlineData("Coffre:Vaults:QuotaBytes", "0", "Coffre:Vaults", "QuotaBytes")]
    [InlineData("Coffre:Activation:MaxAttempts", "0", "Coffre:Activation", "MaxAttempts")]
    [InlineData("Coffre:Outbox:BatchSize", "-3", "Coffre:Outbox", "BatchSize")]
    [InlineData("Coffre:EmailBatches:EmailsPerSecondWhileBusy", "-1", "Coffre:EmailBatches", "EmailsPerSecondWhileBusy")]
    [InlineData("Coffre:GraphQL:MaxDepth", "0", "Coffre:GraphQL", "MaxDepth")]
    [InlineData("Coffre:Activation:RateLimits:GlobalPerSecond", "0", "Coffre:Activation:RateLimits", "GlobalPerSecond")]
    [InlineData("Coffre:Audit:Postgres:Linger", "00:00:01", "Coffre:Audit:Postgres", "Linger")]
    public async Task A_wrong_setting_stops_the_start_with_its_section_member_and_rule(string key, string value, string section, string member)
    {
        await using var app = await ServeCommand.BuildAsync(CoffreRole.Embedded, [$"--{key}={value}", $"--Coffre:DataPath={_data}", "--Urls=http://127.0.0.1:0"]);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        var message = Roles.DescribeInvalidSettings(e);
        Assert.NotNull(message);
        Assert.StartsWith($"settings under {section} (", message);
        Assert.Contains(member, message);
        Assert.Contains("must be between", message);
    }

    [Fact]
    public async Task Default_settings_are_valid()
    {
        await using var app = await ServeCommand.BuildAsync(CoffreRole.Embedded, [$"--Coffre:DataPath={_data}", "--Urls=http://127.0.0.1:0", "--Coffre:Cluster:SiloPort=0", "--Coffre:Cluster:GatewayPort=0"]);
        // Reading each value runs its validation: none throws with the defaults.
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.Grains.Vaults.VaultOptions>>().Value.QuotaBytes > 0);
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.Grains.Rollout.ActivationOptions>>().Value.MaxAttempts > 0);
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.Application.Outbox.OutboxDispatcherOptions>>().Value.BatchSize > 0);
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.Application.Mail.EmailBatchOptions>>().Value.EmailsPerSecondWhileBusy > 0);
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.GraphQL.GraphQLOptions>>().Value.MaxDepth > 0);
        Assert.True(app.Services.GetRequiredService<IOptions<Coffre.GraphQL.Activation.ActivationRateLimitOptions>>().Value.GlobalPerSecond > 0);
    }
}
