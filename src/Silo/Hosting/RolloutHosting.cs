using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Authorization;
using Coffre.Grains;
using Coffre.Grains.Identity;
using Coffre.Grains.Rollout;
using Coffre.Silo.Security;

namespace Coffre.Silo.Hosting;

/// <summary>The national rollout: code keys, activation, the registry behind imported vaults, and locating a person's vault.</summary>
public static class RolloutHosting
{
    public const string CodeKeysSection = "Coffre:Activation:CodeKeys";
    public const string CurrentCodeKeySetting = "Coffre:Activation:CurrentCodeKeyId";
    public const string DeliveryKeySetting = "Coffre:Activation:DeliveryKey";

    public static IServiceCollection AddCoffreRollout(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        services.AddOptions<ActivationOptions>().Bind(configuration.GetSection(ActivationOptions.Section));
        services.AddSingleton(CodeHasherFrom(configuration, options));
        services.AddSingleton<IPatientTokenIssuer, PatientTokenIssuer>();
        services.AddSingleton<IVaultLocator, VaultLocator>();
        services.AddSingleton<EmptyRegistry>();
        services.AddSingleton<IVaultRegistry>(sp => sp.GetRequiredService<EmptyRegistry>());
        services.AddSingleton<IActivationStore>(sp => sp.GetRequiredService<EmptyRegistry>());
        return services;
    }

    /// <summary>Code keys by id (<c>Coffre:Activation:CodeKeys:1</c>, <c>…:2</c>, base64), the current one named by <c>CurrentCodeKeyId</c>.</summary>
    public static CodeHasher CodeHasherFrom(IConfiguration configuration, CoffreOptions options)
    {
        var keys = new Dictionary<short, byte[]>();
        foreach (var child in configuration.GetSection(CodeKeysSection).GetChildren())
        {
            if (!short.TryParse(child.Key, out var id) || id <= 0)
            {
                throw new StartupException($"setting {CodeKeysSection}:{child.Key} ({Settings.EnvName(CodeKeysSection)}__{child.Key}) must be named by a positive key id");
            }
            keys[id] = Secrets.Read(configuration, options, $"{CodeKeysSection}:{child.Key}", $"dev-code-key-{id}");
        }
        if (keys.Count == 0)
        {
            keys[1] = Secrets.Read(configuration, options, $"{CodeKeysSection}:1", "dev-code-key-1");
        }
        var current = short.TryParse(configuration[CurrentCodeKeySetting], out var c) ? c : keys.Keys.Max();
        if (!keys.ContainsKey(current))
        {
            throw new StartupException($"setting {CurrentCodeKeySetting} ({Settings.EnvName(CurrentCodeKeySetting)}) names key {current}, which {CodeKeysSection} does not hold");
        }
        return new CodeHasher(keys, current);
    }

    /// <summary>A person's vault: the one a referent opened (NIR index), else the imported one (registry).</summary>
    private sealed class VaultLocator(IGrainFactory grains, NirHasher hasher, IVaultRegistry registry) : IVaultLocator
    {
        private static readonly Caller System = Caller.Operator("system:sign-in");

        public async Task<string?> FindAsync(string nir, CancellationToken cancellationToken = default)
        {
            if (!Nir.IsValid(nir))
            {
                return null;
            }
            var hash = hasher.HashHex(nir);
            if (await grains.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(hash)).FindAsync(System) is { } indexed)
            {
                return indexed;
            }
            var imported = RegistryVaultIds.For(Convert.FromHexString(hash));
            return await registry.FindByVaultIdAsync(imported, cancellationToken) is { Opposed: false } ? imported : null;
        }
    }
}
