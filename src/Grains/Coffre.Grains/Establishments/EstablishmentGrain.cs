using Coffre.Application.Directory;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;

namespace Coffre.Grains.Establishments;

[GrainType("establishment")]
public sealed class EstablishmentGrain(
    [PersistentState(GrainNames.States.Establishment, GrainNames.Storage)] IPersistentState<EstablishmentState> state,
    TimeProvider clock,
    IDirectoryIndex directoryIndex) : Grain, IEstablishmentGrain
{
    private string FinessNumber => this.GetPrimaryKeyString()["finess-".Length..];

    async Task<EstablishmentProfile> IEstablishmentGrain.RegisterAsync(Caller caller, RegisterEstablishment command)
    {
        RequireOperator(caller, "register establishments");
        if (Finess.Validate(FinessNumber) is { } rule)
        {
            throw new ValidationFailedException("finess", rule);
        }
        if (string.IsNullOrWhiteSpace(command.Name) || command.Name.Length > 200)
        {
            throw new ValidationFailedException("name", "must be 1 to 200 characters");
        }
        if (Domain.Text.TextRules.Validate(command.Name) is { } textRule)
        {
            throw new ValidationFailedException("name", textRule);
        }
        if (string.IsNullOrWhiteSpace(command.CategoryCode) || command.CategoryCode.Length > 8)
        {
            throw new ValidationFailedException("categoryCode", "must be 1 to 8 characters");
        }
        if (command.Kind == EstablishmentKind.Site && (command.LegalEntityFiness is null || Finess.Validate(command.LegalEntityFiness) is not null))
        {
            throw new ValidationFailedException("legalEntityFiness", "a site must name its legal entity's valid FINESS");
        }
        if (command.Kind == EstablishmentKind.LegalEntity && command.LegalEntityFiness is not null)
        {
            throw new ValidationFailedException("legalEntityFiness", "a legal entity has no parent");
        }
        if (command.PostalCode is { } postalCode && Departement.ValidatePostalCode(postalCode) is { } postalRule)
        {
            throw new ValidationFailedException("postalCode", postalRule);
        }
        if (command.Town is { } town && (string.IsNullOrWhiteSpace(town) || town.Length > 100 || Domain.Text.TextRules.Validate(town) is not null))
        {
            throw new ValidationFailedException("town", Domain.Text.TextRules.Validate(town) ?? "must be 1 to 100 characters");
        }
        state.State.Profile = new EstablishmentProfile(FinessNumber, command.Name.Trim(), command.Kind, command.CategoryCode.Trim(),
            command.LegalEntityFiness, command.Sector, state.State.Profile?.Members ?? [], clock.GetUtcNow())
        {
            Admins = state.State.Profile?.Admins ?? [],
            Town = command.Town?.Trim(),
            PostalCode = command.PostalCode,
        };
        await state.WriteStateAsync();
        // The public entry to the directory index (members' entries show the new name and town from the next search).
        await directoryIndex.UpsertAsync([Directory.DirectoryProjection.Of(state.State.Profile)]);
        return state.State.Profile;
    }

    Task<EstablishmentProfile?> IEstablishmentGrain.GetAsync(Caller caller)
    {
        if (caller.Kind == CallerKind.Anonymous)
        {
            throw new AccessDeniedException("sign in to read the establishment directory", DenialReason.NotAuthenticated);
        }
        var profile = state.State.Profile;
        if (profile is null)
        {
            this.DeactivateOnIdle();
        }
        // Membership lists are for directory admin operators; others see the public directory entry.
        return Task.FromResult(AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).Allowed || profile is null ? profile : profile with { Members = [], Admins = [] });
    }

    Task<bool> IEstablishmentGrain.IsMemberAsync(string rpps)
    {
        if (state.State.Profile is not { } profile)
        {
            // An establishment nobody registered has no members; nothing to keep in memory.
            this.DeactivateOnIdle();
            return Task.FromResult(false);
        }
        return Task.FromResult(profile.Members.Contains(rpps, StringComparer.Ordinal));
    }

    async Task<EstablishmentProfile> IEstablishmentGrain.SetMemberAsync(Caller caller, string rpps, bool member, bool admin)
    {
        RequireOperator(caller, "change establishment members");
        if (Domain.Identifiers.Rpps.Validate(rpps) is { } rule)
        {
            throw new ValidationFailedException("rpps", rule);
        }
        var profile = state.State.Profile ?? throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        // The professional's record first: it is what callers are built from (and it refuses unknown professionals).
        await GrainFactory.GetGrain<Professionals.IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).SetMembershipAsync(caller, FinessNumber, member, member && admin);
        state.State.Profile = WithMember(profile, rpps, member, member && admin);
        await state.WriteStateAsync();
        return state.State.Profile;
    }

    Task<bool> IEstablishmentGrain.IsAdminAsync(string rpps) =>
        Task.FromResult(state.State.Profile is { } profile && profile.Admins.Contains(rpps, StringComparer.Ordinal));

    async Task IEstablishmentGrain.AddStaffAsync(Caller caller, string coffreId)
    {
        var profile = state.State.Profile ?? throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        var allowed = AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).Allowed
            || (caller is { Kind: CallerKind.Professional, Rpps: { } admin } && caller.EstablishmentFiness == FinessNumber
                && AccessEvaluator.ProfessionalStanding(caller) is null && profile.Admins.Contains(admin, StringComparer.Ordinal));
        if (!allowed || !CoffreProfessionalId.IsValid(coffreId))
        {
            throw new AccessDeniedException("only an admin member acting for this establishment, or a directory admin operator, registers its staff");
        }
        state.State.Profile = WithMember(profile, coffreId, member: true, admin: false);
        await state.WriteStateAsync();
    }

    private EstablishmentProfile WithMember(EstablishmentProfile profile, string rpps, bool member, bool admin)
    {
        var members = profile.Members.Where(m => m != rpps).ToList();
        var admins = profile.Admins.Where(m => m != rpps).ToList();
        if (member)
        {
            members.Add(rpps);
            if (admin)
            {
                admins.Add(rpps);
            }
        }
        return profile with { Members = members, Admins = admins, UpdatedAt = clock.GetUtcNow() };
    }

    private static void RequireOperator(Caller caller, string what)
    {
        if (AccessEvaluator.DecideOperator(caller, OperatorAction.Directory) is { Allowed: false } denied)
        {
            throw new AccessDeniedException(caller.IsOperator ? denied.Explanation : $"only a directory admin operator may {what}", denied.Reason);
        }
    }
}

[GenerateSerializer, Alias("coffre.establishment-state")]
public sealed class EstablishmentState
{
    [Id(0)]
    public EstablishmentProfile? Profile { get; set; }
}
