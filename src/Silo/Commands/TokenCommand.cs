using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;

namespace Coffre.Silo.Commands;

/// <summary>
/// <c>coffre token --role operator|patient|professional|establishment --subject ID [--operator-roles R] [--rpps N [--finess N]] [--finess N] [--hours H]</c>:
/// prints a token signed with the local key (development and tests; production tokens come from the OIDC authority).
/// An operator token carries <c>--operator-roles</c> (comma-separated support, rollout, directory-admin; <c>none</c>
/// for none); without it, all three: the documented development default. A professional's <c>--profession</c> is
/// optional and ignored by the server (the directory gives the profession); the identifier must be registered. An
/// establishment system's token (what client credentials at Coffre's provider give) needs <c>--finess</c>; its subject
/// stands for the client id (benchmarks and tests of the feed without the provider).
/// </summary>
public static class TokenCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        var configuration = CommandHost.CreateBuilder(args, role: null, out var options).Configuration;
        var settings = AuthSettings.Read(configuration);
        var key = settings.ResolveSigningKey(options)
            ?? throw new StartupException("tokens come from the OIDC authority (Coffre:Auth:Authority is set); no local key to sign with");
        var role = configuration["role"];
        if (role is not ("operator" or "patient" or "professional" or "establishment"))
        {
            throw new StartupException("--role must be operator, patient, professional or establishment");
        }
        var subject = configuration["subject"] is { Length: > 0 } s ? s : throw new StartupException("--subject is required");
        var rpps = configuration["rpps"];
        if (role == "professional" && Rpps.Validate(rpps) is { } rule)
        {
            throw new StartupException($"--rpps {rule}");
        }
        var profession = configuration["profession"];
        var operatorRoles = configuration["operator-roles"] ?? "support,rollout,directory-admin";
        if (role == "operator" && operatorRoles != "none"
            && operatorRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(r => OperatorRoleNames.Parse(r) == OperatorRoles.None))
        {
            throw new StartupException("--operator-roles is a comma-separated list of support, rollout, directory-admin (or none)");
        }
        var finess = configuration["finess"];
        if (finess is not null && Finess.Validate(finess) is { } finessRule)
        {
            throw new StartupException($"--finess {finessRule}");
        }
        if (role == "establishment" && finess is null)
        {
            throw new StartupException("--finess is required for an establishment system's token (its one FINESS)");
        }
        if (role == "patient" && !Ids.IsVaultId(subject))
        {
            throw new StartupException("--subject of a patient is their vault id (v-…)");
        }
        var maxHours = settings.MaxTokenLifetime.TotalHours;
        var hours = double.TryParse(configuration["hours"] ?? "8", System.Globalization.CultureInfo.InvariantCulture, out var h) && h > 0 && h <= maxHours
            ? h
            : throw new StartupException($"--hours must be a number of hours above 0 and at most {maxHours:0.##} (Coffre:Auth:MaxTokenLifetime): longer tokens are refused");
        Console.WriteLine(TokenIssuer.Mint(settings, key, role, subject, role == "professional" ? rpps : null, TimeSpan.FromHours(hours),
            role == "professional" ? profession : null, role is "professional" or "establishment" ? finess : null,
            role == "operator" ? (operatorRoles == "none" ? "" : string.Join(' ', operatorRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))) : null));
        return Task.FromResult(0);
    }
}
