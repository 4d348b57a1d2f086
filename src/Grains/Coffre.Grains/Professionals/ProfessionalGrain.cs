using Coffre.Domain.Identifiers;
using Coffre.Domain.Access;

namespace Coffre.Grains.Professionals;

[GrainType("professional")]
public sealed class ProfessionalGrain(
    [PersistentState(GrainNames.States.Professional, GrainNames.Storage)] IPersistentState<ProfessionalState> state,
    TimeProvider clock) : Grain, IProfessionalGrain
{
    private string Rpps => this.GetPrimaryKeyString()["rpps-".Length..];

    async Task<ProfessionalProfile> IProfessionalGrain.RegisterAsync(Caller caller, RegisterProfessional command)
    {
        if (!caller.IsOperator)
        {
            throw new AccessDeniedException("only an operator may register professionals");
        }
        if (Domain.Identifiers.Rpps.Validate(Rpps) is { } rule)
        {
            throw new ValidationFailedException("rpps", rule);
        }
        if (string.IsNullOrWhiteSpace(command.DisplayName) || command.DisplayName.Length > 200)
        {
            throw new ValidationFailedException("displayName", "must be 1 to 200 characters");
        }
        if (Domain.Text.TextRules.Validate(command.DisplayName) is { } textRule)
        {
            throw new ValidationFailedException("displayName", textRule);
        }
        if (string.IsNullOrWhiteSpace(command.ProfessionCode) || command.ProfessionCode.Length > 16)
        {
            throw new ValidationFailedException("professionCode", "must be 1 to 16 characters");
        }
        var now = clock.GetUtcNow();
        var previous = state.State.Profile;
        state.State.Profile = new ProfessionalProfile(
            Rpps, command.DisplayName.Trim(), command.ProfessionCode.Trim(), command.Sector,
            previous?.RegisteredAt ?? now, now, (previous?.Revision ?? 0) + 1);
        await state.WriteStateAsync();
        return state.State.Profile;
    }

    Task<PublicProfessional?> IProfessionalGrain.GetPublicAsync() =>
        Task.FromResult(state.State.Profile is { } p ? new PublicProfessional(p.Rpps, p.DisplayName, p.ProfessionCode, p.Sector) : null);

    Task<ProfessionalProfile?> IProfessionalGrain.GetAsync(Caller caller)
    {
        if (!caller.IsOperator && !(caller.Kind == CallerKind.Professional && caller.Rpps == Rpps))
        {
            throw new AccessDeniedException("only an operator or the professional may read this record");
        }
        if (state.State.Profile is null)
        {
            this.DeactivateOnIdle();
        }
        return Task.FromResult(state.State.Profile);
    }
}

[GenerateSerializer, Alias("coffre.professional-state")]
public sealed class ProfessionalState
{
    [Id(0)]
    public ProfessionalProfile? Profile { get; set; }
}
