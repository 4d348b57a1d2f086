using System.Collections.Concurrent;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>Which change an establishment makes to its accompaniment of a person.</summary>
[GenerateSerializer, Alias("coffre.accompaniment-change")]
public enum AccompanimentChange
{
    /// <summary>Move one referent's mandate to another active member, keeping the person's recorded consent.</summary>
    HandOver = 0,
    /// <summary>End every mandate of the establishment on the vault.</summary>
    End = 1,
}

/// <summary>
/// The care team and establishments' accompaniments: the <see cref="LegalBasis.CareTeam"/> basis of
/// <see cref="DecideProfessional"/> (data: <see cref="HabilitationMatrix.CareTeam"/>), who sees an establishment's list
/// of the people it accompanies (<see cref="DecideAccompaniments"/>), and who hands over or ends a mandate
/// (<see cref="DecideAccompanimentChange"/>).
/// </summary>
public sealed partial class AccessEvaluator
{
    /// <summary>What the care-team search found: the allowed decision to answer with (its sentence names the establishment), if any.</summary>
    private readonly record struct CareTeamSearch(AccessDecision? Basis, bool OutOfScope, bool Expired);

    /// <summary>
    /// The care-team basis of a member acting for <paramref name="finess"/>, per the matrix's sources: an active grant to
    /// the establishment whose scope covers the document (first), else an active referent mandate naming the establishment
    /// whose consent scope covers it. Also says whether an active one did not cover the document, or one had ended.
    /// </summary>
    private CareTeamSearch CareTeamOf(VaultAccessState vault, string finess, DocumentFacts? document, DateTimeOffset now)
    {
        var rule = Matrix.CareTeam;
        var outOfScope = false;
        var expired = false;
        if (rule.FromEstablishmentGrant)
        {
            var grants = vault.Grants;
            for (var i = 0; i < grants.Count; i++)
            {
                var g = grants[i];
                if (g.GranteeKind != GranteeKind.Establishment || g.Grantee != finess)
                {
                    continue;
                }
                if (g.IsActive(now))
                {
                    if (document is null || g.Scope.Covers(document.ClassCode, document.TypeCode))
                    {
                        return new(D.CareTeamByGrant(finess), false, false);
                    }
                    outOfScope = true;
                }
                else if (g.RevokedAt is not null || (g.ExpiresAt is { } expires && expires <= now))
                {
                    expired = true;
                }
            }
        }

        if (rule.FromAccompaniment)
        {
            var referents = vault.Referents;
            for (var i = 0; i < referents.Count; i++)
            {
                var r = referents[i];
                if (r.EstablishmentFiness != finess)
                {
                    continue;
                }
                if (r.IsActive(now))
                {
                    if (document is null || r.Consent.Scope.Covers(document.ClassCode, document.TypeCode))
                    {
                        return new(D.CareTeamByAccompaniment(finess), false, false);
                    }
                    outOfScope = true;
                }
                else if (r.RevokedAt is not null || r.Consent.ExpiresAt <= now)
                {
                    expired = true;
                }
            }
        }

        return new(null, outOfScope, expired);
    }

    /// <summary>
    /// An establishment's list of the people it accompanies (and their referents): a professional in good standing acting
    /// for it (the token's <c>finess</c>, kept by the API only while the membership is active), its own system (client
    /// credentials for that FINESS), and directory-admin operators. Everyone else: denied (NotPermitted, or the
    /// operator's missing role, or the professional's standing).
    /// </summary>
    public static AccessDecision DecideAccompaniments(Caller caller, string finess)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind switch
        {
            CallerKind.Anonymous => D.NotAuthenticated,
            CallerKind.Operator => DecideOperator(caller, OperatorAction.Directory),
            CallerKind.Professional => ProfessionalStanding(caller)
                ?? (caller.EstablishmentFiness == finess ? D.AllowMemberSeesAccompaniments : D.AccompanimentsForMembers),
            CallerKind.Establishment => caller.EstablishmentFiness == finess ? D.AllowSystemSeesAccompaniments : D.AccompanimentsForMembers,
            _ => D.AccompanimentsForMembers,
        };
    }

    /// <summary>
    /// Handing over or ending the accompaniment of this vault's person by establishment <paramref name="finess"/>,
    /// against the vault's own state. Vault closed → VaultNotActive. Hand-over (of <paramref name="fromRpps"/>'s
    /// mandate): the referent themself (basis Referent; a block does not stop them, as for leaving a mandate), or an admin
    /// member acting for the establishment (<paramref name="callerIsAdmin"/>, read from the directory by the vault; basis
    /// CareTeam; a block stops them). End: an admin member acting for it, its own system (basis CareTeam), or a
    /// professional acting for it who holds an active mandate naming it on this vault (basis Referent). Operators and
    /// everyone else: NotPermitted. An admin member or the system whose establishment holds no active mandate here (of
    /// <paramref name="fromRpps"/> for a hand-over) → NoBasis. Whether the new referent qualifies is checked by the vault
    /// after this decision (validation errors, never a hint to someone refused here).
    /// </summary>
    public static AccessDecision DecideAccompanimentChange(VaultAccessState vault, Caller caller, AccompanimentChange change,
        string? finess, string? fromRpps, bool callerIsAdmin, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind == CallerKind.Anonymous)
        {
            return D.NotAuthenticated;
        }
        if (vault.Status is not (VaultStatus.Active or VaultStatus.Pending))
        {
            return vault.Status == VaultStatus.Closed ? D.VaultClosed : D.VaultUnavailable;
        }
        if (ProfessionalStanding(caller) is { } standing)
        {
            return standing;
        }
        if (string.IsNullOrEmpty(finess))
        {
            return D.ActForTheEstablishment;
        }

        var actsFor = caller.EstablishmentFiness == finess;
        if (change == AccompanimentChange.HandOver)
        {
            if (caller.Kind != CallerKind.Professional)
            {
                return D.HandOverByReferentOrAdmin;
            }
            if (caller.Rpps is { } rpps && rpps == fromRpps && HoldsMandate(vault, rpps, finess, now))
            {
                return D.AllowReferentHandsOver;
            }
            if (!(actsFor && callerIsAdmin))
            {
                return D.HandOverByReferentOrAdmin;
            }
            return IsBlocked(vault, caller.Rpps) ? D.Blocked
                : fromRpps is not null && HoldsMandate(vault, fromRpps, finess, now) ? D.AllowAdminHandsOver
                : D.NotAccompanied;
        }

        var decision = caller.Kind switch
        {
            CallerKind.Establishment when actsFor => D.AllowSystemEnds,
            CallerKind.Professional when actsFor && callerIsAdmin => D.AllowAdminEnds,
            CallerKind.Professional when actsFor && caller.Rpps is { } rpps && HoldsMandate(vault, rpps, finess, now) => D.AllowReferentEnds,
            _ => D.EndByAdminSystemOrReferent,
        };
        return decision.Allowed && !vault.Referents.Any(r => r.EstablishmentFiness == finess && r.IsActive(now)) ? D.NotAccompanied : decision;
    }

    private static bool HoldsMandate(VaultAccessState vault, string rpps, string finess, DateTimeOffset now) =>
        vault.Referents.Any(r => r.Rpps == rpps && r.EstablishmentFiness == finess && r.IsActive(now));

    private static bool IsBlocked(VaultAccessState vault, string? rpps) => rpps is not null && vault.Blocks.Any(b => b.Rpps == rpps);

    private static partial class D
    {
        // One shared decision per establishment and source (at most two per establishment in the directory), so listing
        // documents on the care-team basis allocates nothing, like every other basis.
        private static readonly ConcurrentDictionary<string, AccessDecision> ByGrant = new(StringComparer.Ordinal);
        private static readonly ConcurrentDictionary<string, AccessDecision> ByAccompaniment = new(StringComparer.Ordinal);

        public static AccessDecision CareTeamByGrant(string finess) => ByGrant.GetOrAdd(finess, static f => AccessDecision.Allow(LegalBasis.CareTeam,
            $"Allowed: care team — you act for establishment {f}, which the person gave access to, as an active member; the grant's scope and your profession's rules apply."));

        public static AccessDecision CareTeamByAccompaniment(string finess) => ByAccompaniment.GetOrAdd(finess, static f => AccessDecision.Allow(LegalBasis.CareTeam,
            $"Allowed: care team — you act for establishment {f}, which accompanies the person (a referent's mandate under the person's recorded consent), as an active member; the consent's scope and your profession's rules apply."));

        public static readonly AccessDecision CareTeamActionClosed = AccessDecision.Deny(DenialReason.NotPermitted,
            "Your establishment's relation to the person (care team) does not let its members do this; the habilitation matrix limits it.");
        public static readonly AccessDecision AllowMemberSeesAccompaniments = AccessDecision.Allow(LegalBasis.CareTeam,
            "Allowed: an active member acting for this establishment sees the people it accompanies.");
        public static readonly AccessDecision AllowSystemSeesAccompaniments = AccessDecision.Allow(LegalBasis.CareTeam,
            "Allowed: this establishment's own system sees the people it accompanies.");
        public static readonly AccessDecision AccompanimentsForMembers = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only active members acting for this establishment, its own system and directory admin operators see the people it accompanies.");
        public static readonly AccessDecision NotAccompanied = AccessDecision.Deny(DenialReason.NoBasis,
            "Your establishment holds no active mandate of this person (for this referent): there is nothing to hand over or end.");
        public static readonly AccessDecision ActForTheEstablishment = AccessDecision.Deny(DenialReason.NotPermitted,
            "Act for the establishment: sign in with its FINESS while your membership there is active.");
        public static readonly AccessDecision AllowReferentHandsOver = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a referent hands their mandate over to another member of their establishment; the person's consent is kept.");
        public static readonly AccessDecision AllowAdminHandsOver = AccessDecision.Allow(LegalBasis.CareTeam,
            "Allowed: an admin member acting for the establishment hands one of its mandates over to another member; the person's consent is kept.");
        public static readonly AccessDecision HandOverByReferentOrAdmin = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the referent, or an admin member acting for the establishment, hands a mandate over.");
        public static readonly AccessDecision AllowSystemEnds = AccessDecision.Allow(LegalBasis.CareTeam,
            "Allowed: the establishment's own system ends its accompaniment of the person.");
        public static readonly AccessDecision AllowAdminEnds = AccessDecision.Allow(LegalBasis.CareTeam,
            "Allowed: an admin member acting for the establishment ends its accompaniment of the person.");
        public static readonly AccessDecision AllowReferentEnds = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a referent acting for the establishment ends its accompaniment of the person.");
        public static readonly AccessDecision EndByAdminSystemOrReferent = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only an admin member or a referent acting for the establishment, or its own system, ends its accompaniment of a person.");
    }
}
