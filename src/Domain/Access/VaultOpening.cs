namespace Coffre.Domain.Access;

/// <summary>Who may open a vault for a person: operators, or a social/médico-social professional with the person's recorded consent.</summary>
public static class VaultOpening
{
    public static AccessDecision Decide(Caller caller, HabilitationMatrix matrix, bool consentRecorded)
    {
        if (caller.IsOperator)
        {
            return AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport) is { Allowed: false } missing
                ? missing
                : AccessDecision.Allow(LegalBasis.Operator, "operators open vaults");
        }
        if (AccessEvaluator.ProfessionalStanding(caller) is { } standing)
        {
            return standing;
        }
        if (caller.Kind == CallerKind.Anonymous)
        {
            return AccessDecision.Deny(DenialReason.NotAuthenticated, "sign in first");
        }
        if (caller.Kind == CallerKind.Professional && matrix.TryGetProfession(caller.ProfessionCode, out var profession) && profession.Sector != ProfessionSector.Health)
        {
            return consentRecorded
                ? AccessDecision.Allow(LegalBasis.Referent, "a social or médico-social professional opens the vault with the person's recorded consent")
                : AccessDecision.Deny(DenialReason.ConsentRequired, "a referent opens a vault only with the person's recorded consent");
        }
        return AccessDecision.Deny(DenialReason.NotPermitted, "only operators and social or médico-social referents open vaults");
    }
}
