using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

public sealed partial class AccessEvaluator
{
    /// <summary>
    /// <see cref="VaultAction.ExportVault"/>, decided before the caller-kind rules: an export carries every document the
    /// requester may read, the grants and mandates, and the whole access history, so it is the person's (the GDPR's
    /// portability right) and of those who act as the person — the owner (an activated vault) and an active parent or
    /// tutor (<see cref="LegalBasis.LegalRepresentative"/>; documents hidden from representatives stay out of their
    /// export). Null lets <see cref="Decide"/> go on for them (owner, representative rules). Everyone else, with a
    /// sentence, <see cref="DenialReason.NotPermitted"/>: a curator (assists, never takes the whole vault), professionals and establishments' systems (their bases
    /// cover documents, never the vault), operators (never documents or the history's content). A patient caller with
    /// no role at all falls through to the usual NoBasis answer, and a carer to the carer rules (<see cref="DenialReason.OutsideDelegation"/>:
    /// exporting is never delegated).
    /// </summary>
    private static AccessDecision? ExportGate(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        switch (caller.Kind)
        {
            case CallerKind.Operator:
                return D.ExportNotOperators;
            case CallerKind.Professional:
            case CallerKind.Establishment:
                return ProfessionalStanding(caller) ?? D.ExportNotProfessionals;
            case CallerKind.Patient when caller.VaultId == vault.VaultId:
                return null;
            case CallerKind.Patient:
                var representations = vault.Representatives.Where(r => r.RepresentativeVaultId == caller.VaultId && r.IsActive(now)).ToList();
                if (representations.Any(r => r.Kind is RepresentationKind.Parent or RepresentationKind.Tutor))
                {
                    return null;
                }
                if (representations.Count > 0)
                {
                    return D.ExportNotCurators;
                }
                // A carer, or a patient caller with no role: the carer rules (OutsideDelegation) or the usual NoBasis answer.
                return null;
            default:
                return D.NotPermitted;
        }
    }

    private static partial class D
    {
        public static readonly AccessDecision ExportNotOperators = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person, or a parent or tutor representing them, exports the vault; service operators never see documents or the access history.");
        public static readonly AccessDecision ExportNotProfessionals = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person, or a parent or tutor representing them, exports the vault; a professional or an establishment reads the documents their basis covers, one by one.");
        public static readonly AccessDecision ExportNotCurators = AccessDecision.Deny(DenialReason.NotPermitted,
            "A curator assists the person but does not take their whole vault: only the person, or a parent or tutor representing them, exports it.");
    }
}
