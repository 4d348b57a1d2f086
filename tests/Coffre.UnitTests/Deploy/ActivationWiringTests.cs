using Coffre.Grains.Rollout;
using Coffre.Silo.Commands;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Coffre.UnitTests.Deploy;

/// <summary>
/// Where the API hands an activation attempt: in a silo's own process, to that silo's settler (no grain call). A gateway
/// hands it to the activation grain (<c>ActivationOverHttpTests</c>, through a gateway process).
/// </summary>
public sealed class ActivationWiringTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("coffre-wiring-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task The_api_in_a_silos_own_process_hands_attempts_to_that_silos_settler()
    {
        await using var app = await ServeCommand.BuildAsync(CoffreRole.Embedded, EmbeddedServerArgs.For(_data));

        var activations = app.Services.GetRequiredService<IActivations>();

        Assert.IsType<SiloActivations>(activations);
        Assert.Same(app.Services.GetRequiredService<SiloActivations>(), activations);
    }
}
