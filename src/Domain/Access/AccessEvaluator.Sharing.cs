using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>Share links: who may share the person's documents with someone outside Coffre.</summary>
public sealed partial class AccessEvaluator
{
    /// <summary>
    /// <see cref="VaultAction.ShareDocuments"/>: the person (basis Owner; not while their vault is pending) and a parent or
    /// tutor acting for them (basis LegalRepresentative), decided as any owner action. Everyone else is NotPermitted with a
    /// sentence saying who may share: a curator (who assists the person but does not act for them), any other patient
    /// caller, professionals, establishments and operators. A carer gets the carer rules' OutsideDelegation (DecidePatient's
    /// denial is kept). An ended representation keeps its own reason. Which
    /// documents may be shared is decided per document, as ReadDocument for the one sharing.
    /// </summary>
    private static AccessDecision DecideSharing(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        if (caller.Kind != CallerKind.Patient)
        {
            return D.SharingByPersonOrParentOrTutor;
        }
        var decision = DecidePatient(vault, caller, VaultAction.ShareDocuments, null, now);
        return decision is { Allowed: false, Reason: DenialReason.NotPermitted or DenialReason.ConsentRequired } ? D.SharingByPersonOrParentOrTutor : decision;
    }

    private static partial class D
    {
        public static readonly AccessDecision SharingByPersonOrParentOrTutor = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person, or a parent or tutor acting for them, may share documents outside Coffre with a link and a code; " +
            "a curator, a carer, professionals and service operators may not.");
    }
}
