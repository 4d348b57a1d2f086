using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Identity;
using Coffre.Grains.Professionals;
using Coffre.Grains.Rollout;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

/// <summary>
/// Every mutation takes one input object and returns one payload: the changed object plus <c>userErrors</c>
/// for expected failures. Authorisation failures are top-level errors with <c>extensions.code = FORBIDDEN</c>.
/// The resolver only translates; the grain decides (and audits) every call.
/// </summary>
public sealed partial class CoffreMutation : ObjectGraphType
{
    public CoffreMutation()
    {
        Name = "Mutation";
        AddRolloutOperations();

        Mutation<OpenVaultInputType, OpenVaultInput, OpenVaultPayloadType>("openVault",
            "Opens a vault for a person: operators, or a social/médico-social referent with the person's recorded consent. " +
            "With a NIR, one grain call to the person's identity grain: CONFLICT when the person already has a vault; " +
            "the person's registry vault (national import) when the registry knows them; else a new vault.",
            async (ctx, caller, input) =>
            {
                var identity = new Domain.Documents.IdentityTraits(input.Identity.FamilyName.Trim(), input.Identity.GivenNames.Trim(),
                    input.Identity.BirthDate, input.Identity.Sex, input.Nir is null ? null : Nir.Mask(input.Nir), input.Identity.UsualName);
                var command = new OpenVault(identity, ToConsent(input.Consent), input.IsMinor ?? false);
                var view = input.Nir is { } nir
                    ? await Identity(ctx, nir).OpenAsync(caller, command)
                    : await ctx.Vault(Ids.NewVaultId()).OpenAsync(caller, command);
                return (view, view.VaultId);
            });

        Mutation<AttachNirInputType, AttachNirInput, AttachNirPayloadType>("attachNir",
            "Adds the person's NIR to a vault opened without one (operators and the vault's active referents). Nothing is merged " +
            "silently: when the NIR already has a vault the answer is CONFLICT (field nir), and an operator merges the two with mergeVaults.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                return (await Identity(ctx, input.Nir).AttachAsync(caller, vaultId, Nir.Mask(input.Nir)), vaultId);
            });

        Mutation<MergeVaultsInputType, MergeVaultsInput, MergeVaultsPayloadType>("mergeVaults",
            "Operators: merges a vault opened without a NIR (source) into the person's vault (target). The documents' index entries move " +
            "with their provenance, the source's active referents follow, the source closes as merged into the target; both audit " +
            "chains record it and the person is notified on both. Re-running a merge that stopped half-way completes it.",
            async (ctx, caller, input) =>
            {
                var source = GlobalId.VaultId(input.SourceVaultId) ?? throw new ValidationFailedException("sourceVaultId", "is not a vault id");
                var target = GlobalId.VaultId(input.TargetVaultId) ?? throw new ValidationFailedException("targetVaultId", "is not a vault id");
                return (await ctx.Grains().GetGrain<IVaultMergeGrain>(0).MergeAsync(caller, source, target, input.Reason), target);
            });

        VaultMutation<IssueHandOverInputType, IssueHandOverInput, IssueHandOverPayloadType>("issueHandOver",
            "A printed hand-over sheet (the vault's id and a single-use code) for a person without a code, a phone or a NIR, or who lost " +
            "their passphrase: operators and the vault's active referents. Audited and shown to the person; a new sheet replaces the previous one.",
            async (vault, caller, _) => await vault.IssueHandOverAsync(caller));

        Mutation<ActivateWithHandOverInputType, ActivateWithHandOverInput, ActivateWithHandOverPayloadType>("activateWithHandOver",
            "The person activates their vault with a hand-over sheet (vault id + code), their birth date, and chooses a passphrase; returns a " +
            "session. Every failure gets the same answer (HAND_OVER_REFUSED); a sheet locks after a few wrong codes; rate limited like activation.",
            async (ctx, _, input) =>
            {
                var vaultId = GlobalId.VaultId(input.VaultId?.Trim() ?? "");
                RequireAttemptAllowedFor(ctx, "vault:" + (vaultId ?? "invalid"));
                if (Passphrases.Validate(input.Passphrase) is { } rule)
                {
                    throw new ValidationFailedException("passphrase", rule);
                }
                RequirePassphraseWork(ctx);
                if (vaultId is null || !await ctx.Vault(vaultId).ActivateWithHandOverAsync(input.Code, input.BirthDate, input.Passphrase))
                {
                    throw new ValidationFailedException("code", "with this vault and birth date does not match a valid hand-over sheet", "HAND_OVER_REFUSED");
                }
                var token = ctx.RequestServices!.GetRequiredService<IPatientTokenIssuer>().IssueFor(vaultId, TimeSpan.FromHours(8));
                return (new PatientSession(vaultId, token), vaultId);
            }, allowAnonymous: true);

        VaultMutation<VaultRefInputType, VaultRefInput, CloseVaultPayloadType>("closeVault", "Closes a vault (operators).",
            async (vault, caller, _) => await vault.CloseAsync(caller));

        VaultMutation<UpdateDocumentInputType, UpdateDocumentInput, UpdateDocumentPayloadType>("updateDocument",
            "Changes a document's title (author) or its visibility and private flag (the person and representatives).",
            async (vault, caller, input) => await vault.UpdateDocumentAsync(caller, input.DocumentId,
                new DocumentChanges(input.Title, input.MaskedFromProfessionals, input.InvisibleToPatient, input.InvisibleToRepresentatives, input.Private)));

        VaultMutation<DocumentRefInputType, DocumentRefInput, DeleteDocumentPayloadType>("deleteDocument", "Deletes a document and its content (the person only).",
            async (vault, caller, input) =>
            {
                await vault.DeleteDocumentAsync(caller, input.DocumentId);
                return input.DocumentId;
            });

        VaultMutation<GrantAccessInputType, GrantAccessInput, GrantAccessPayloadType>("grantAccess",
            "Gives a professional (rpps) or an establishment (finess) access to some document classes/types, until a date.",
            async (vault, caller, input) =>
            {
                if ((input.Rpps is null) == (input.Finess is null))
                {
                    throw new ValidationFailedException("rpps", "give exactly one of rpps or finess");
                }
                var request = new GrantRequest(input.Rpps is null ? GranteeKind.Establishment : GranteeKind.Professional, input.Rpps ?? input.Finess!,
                    new DocumentScope(input.ClassCodes, input.TypeCodes), input.ExpiresAt, input.TreatingPhysician ?? false);
                return await vault.GrantAccessAsync(caller, request);
            });

        VaultMutation<RevokeAccessInputType, RevokeAccessInput, RevokeAccessPayloadType>("revokeAccess", "Revokes a grant.",
            async (vault, caller, input) =>
            {
                await vault.RevokeAccessAsync(caller, input.GrantId);
                return input.GrantId;
            });

        VaultMutation<ProfessionalRefInputType, ProfessionalRefInput, BlockProfessionalPayloadType>("blockProfessional",
            "Blocks a professional: no access on any basis, break-glass included.",
            async (vault, caller, input) =>
            {
                await vault.BlockProfessionalAsync(caller, input.Rpps);
                return input.Rpps;
            });

        VaultMutation<ProfessionalRefInputType, ProfessionalRefInput, UnblockProfessionalPayloadType>("unblockProfessional", "Lifts a block.",
            async (vault, caller, input) =>
            {
                await vault.UnblockProfessionalAsync(caller, input.Rpps);
                return input.Rpps;
            });

        VaultMutation<AddReferentInputType, AddReferentInput, AddReferentPayloadType>("addReferent",
            "Records a referent (trusted third party) with the person's consent: how, scope, until when.",
            async (vault, caller, input) => await vault.AddReferentAsync(caller, new ReferentRequest(input.Rpps, input.EstablishmentFiness, ToConsent(input.Consent)!)));

        VaultMutation<ProfessionalRefInputType, ProfessionalRefInput, RevokeReferentPayloadType>("revokeReferent", "Ends a referent's mandate.",
            async (vault, caller, input) =>
            {
                await vault.RevokeReferentAsync(caller, input.Rpps);
                return input.Rpps;
            });

        VaultMutation<AddRepresentativeInputType, AddRepresentativeInput, AddRepresentativePayloadType>("addRepresentative",
            "Records a legal representative: PARENT of a minor (civil status), or TUTOR/CURATOR under a court decision (court, decisionReference, decisionDate). Operators only; the person and every other current representative are notified.",
            async (vault, caller, input) => await vault.AddRepresentativeAsync(caller,
                new RepresentativeRequest(RepresentativeOf(input.RepresentativeVaultId), input.Kind, input.Until, input.PersonConsentedAt,
                    input.Court is null && input.DecisionReference is null && input.DecisionDate is null
                        ? null
                        : new CourtDecision(input.Court ?? "", input.DecisionReference ?? "", input.DecisionDate ?? DateOnly.MinValue))));

        VaultMutation<RemoveRepresentativeInputType, RemoveRepresentativeInput, RemoveRepresentativePayloadType>("removeRepresentative", "Ends a legal representation (operators).",
            async (vault, caller, input) =>
            {
                var representative = RepresentativeOf(input.RepresentativeVaultId);
                await vault.RemoveRepresentativeAsync(caller, representative);
                return representative;
            });

        VaultMutation<BreakGlassInputType, BreakGlassInput, BreakGlassPayloadType>("breakGlass",
            "Emergency access (bris de glace): a stated reason opens the emergency summary documents for a limited time; the person is notified.",
            async (vault, caller, input) => await vault.BreakGlassAsync(caller, input.Reason));

        VaultMutation<VaultRefInputType, VaultRefInput, VerifyAuditChainPayloadType>("verifyAuditChain",
            "Recomputes the vault's audit hash chain and reports the first event that does not verify.",
            async (vault, caller, _) => await vault.VerifyAuditChainAsync(caller));

        Mutation<ActivateVaultInputType, ActivateVaultInput, ActivateVaultPayloadType>("activateVault",
            "Activates the person's vault with the code from their letter or email. Every failure gets the same answer (ACTIVATION_REFUSED); " +
            "a code locks after a few failures; each attempt (each alias) counts against the rate limit.",
            async (ctx, _, input) =>
            {
                RequireAttemptAllowed(ctx, input.Nir);
                var result = await ctx.RequestServices!.GetRequiredService<IActivations>()
                    .ActivateAsync(new ActivationRequest(input.Code, input.Nir, input.BirthDate, input.VitaleSerial));
                if (result.Outcome != ActivationOutcome.Activated)
                {
                    throw new ValidationFailedException("code", "with this NIR, birth date and Vitale serial does not match a valid code", "ACTIVATION_REFUSED");
                }
                var token = ctx.RequestServices!.GetRequiredService<IPatientTokenIssuer>().IssueFor(result.VaultId!, TimeSpan.FromHours(1));
                return (new PatientSession(result.VaultId!, token), result.VaultId);
            }, allowAnonymous: true);

        VaultMutation<SetPassphraseInputType, SetPassphraseInput, SetPassphrasePayloadType>("setPassphrase",
            "Sets the passphrase for later sign-in (the person, or a parent or tutor). Stored as a PBKDF2 hash only.",
            async (ctx, vault, caller, input) =>
            {
                RequirePassphraseWork(ctx);
                await vault.SetPassphraseAsync(caller, input.Passphrase);
                return true;
            });

        Mutation<SignInInputType, SignInInput, SignInPayloadType>("signIn",
            "Signs a person in with their NIR (or, for a person without one, the vault id of their hand-over sheet), birth date and " +
            "passphrase. Every failure gets the same answer (SIGN_IN_REFUSED).",
            async (ctx, _, input) =>
            {
                if ((input.Nir is null) == (input.VaultId is null))
                {
                    throw new ValidationFailedException("nir", "give exactly one of nir or vaultId");
                }
                var vaultRef = input.VaultId is null ? null : GlobalId.VaultId(input.VaultId.Trim()) ?? "invalid";
                if (input.Nir is not null)
                {
                    RequireAttemptAllowed(ctx, input.Nir);
                }
                else
                {
                    RequireAttemptAllowedFor(ctx, "vault:" + vaultRef);
                }
                RequirePassphraseWork(ctx);
                var refused = new ValidationFailedException("passphrase", "with this NIR or vault and birth date does not open a vault", "SIGN_IN_REFUSED");
                // One grain call: by NIR the person's identity grain resolves their vault and the vault checks the birth date
                // first (only a wrong passphrase after a right birth date counts toward the lockout); by vault id the vault
                // itself. Always exactly one PBKDF2 verification.
                string? vaultId;
                if (input.Nir is not null)
                {
                    vaultId = Nir.IsValid(input.Nir) ? await Identity(ctx, input.Nir).SignInAsync(input.BirthDate, input.Passphrase) : Dummy(input.Passphrase);
                }
                else
                {
                    vaultId = vaultRef is not "invalid" && await ctx.Vault(vaultRef!).SignInAsync(input.BirthDate, input.Passphrase) ? vaultRef : Dummy(input.Passphrase);
                }
                if (vaultId is null)
                {
                    throw refused;
                }
                var token = ctx.RequestServices!.GetRequiredService<IPatientTokenIssuer>().IssueFor(vaultId, TimeSpan.FromHours(8));
                return (new PatientSession(vaultId, token), vaultId);
            }, allowAnonymous: true);

        Mutation<EndSessionInputType, EndSessionInput, EndSessionPayloadType>("endSession",
            "Ends one of the person's sessions (see viewer.sessions): its refresh and access tokens stop at once.",
            async (ctx, caller, input) =>
            {
                if (caller.VaultId is not { } vaultId)
                {
                    throw new AccessDeniedException("only the person ends their sessions", DenialReason.NotPermitted);
                }
                if (!await ctx.RequestServices!.GetRequiredService<IOidcDirectory>().EndSessionAsync(vaultId, input.SessionId, ctx.CancellationToken))
                {
                    throw new ValidationFailedException("sessionId", "names none of your sessions", ErrorCodes.NotFound);
                }
                return (input.SessionId, null);
            });

        Mutation<RegisterEstablishmentClientInputType, RegisterEstablishmentClientInput, RegisterEstablishmentClientPayloadType>("registerEstablishmentClient",
            "Registers an establishment system's OAuth client (client credentials) acting only for one FINESS (operators). The secret is shown once.",
            async (ctx, caller, input) =>
            {
                AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
                if (Finess.Validate(input.Finess) is { } problem)
                {
                    throw new ValidationFailedException("finess", problem);
                }
                var directory = ctx.RequestServices!.GetRequiredService<IOidcDirectory>();
                if (!directory.Enabled)
                {
                    throw new ValidationFailedException("finess", "cannot get a client: Coffre's OpenID provider is off", "UNAVAILABLE");
                }
                return (await directory.RegisterEstablishmentClientAsync(input.Finess, input.DisplayName, ctx.CancellationToken), null);
            });

        Mutation<RecordOppositionInputType, RecordOppositionInput, RecordOppositionPayloadType>("recordOpposition",
            "Records a person's opposition to their vault: by an operator (phone), or by the person online with birth date and Vitale serial as proof. " +
            "No vault is created (an activated one is closed), codes are revoked, data purged but for the opposition record; returns the receipt. " +
            "A person whose proof does not match gets OPPOSITION_REFUSED, as anyone unknown.",
            async (ctx, caller, input) =>
            {
                if (!caller.IsOperator)
                {
                    RequireAttemptAllowed(ctx, input.Nir);
                    if (input.BirthDate is null || string.IsNullOrWhiteSpace(input.VitaleSerial))
                    {
                        throw new ValidationFailedException("vitaleSerial", "and birthDate are required to oppose online");
                    }
                }
                var receipt = await ctx.Grains().GetGrain<IOppositionGrain>(0)
                    .RecordAsync(caller, new OppositionRecordRequest(input.Nir, input.BirthDate, input.VitaleSerial));
                return receipt is null
                    ? throw new ValidationFailedException("nir", "with this birth date and Vitale serial does not match a person of the registry", "OPPOSITION_REFUSED")
                    : (receipt, null);
            }, allowAnonymous: true);

        Mutation<RegisterProfessionalInputType, RegisterProfessionalInput, RegisterProfessionalPayloadType>("registerProfessional",
            "Creates or updates a professional in the directory (RPPS, ADELI or Coffre identifier). Operators with the directory-admin role.",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(input.Rpps))
                .RegisterAsync(caller, new RegisterProfessional(input.DisplayName, input.ProfessionCode, input.Sector)), null));

        Mutation<RegisterEstablishmentInputType, RegisterEstablishmentInput, RegisterEstablishmentPayloadType>("registerEstablishment",
            "Creates or updates an establishment (FINESS legal entity or site). Operators with the directory-admin role.",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(input.Finess))
                .RegisterAsync(caller, new RegisterEstablishment(input.Name, input.Kind, input.CategoryCode, input.LegalEntityFiness, input.Sector)
                {
                    Town = input.Town,
                    PostalCode = input.PostalCode,
                }), null));

        Mutation<SetEstablishmentMemberInputType, SetEstablishmentMemberInput, SetEstablishmentMemberPayloadType>("setEstablishmentMember",
            "Adds (member: true) or removes a registered professional from an establishment, as an admin member (admin: true) who registers staff or not. Operators with the directory-admin role.",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(input.Finess))
                .SetMemberAsync(caller, input.Rpps, input.Member, input.Admin ?? false, input.Role, input.StartsAt, input.EndsAt), null));

        DirectoryRegistration.AddTo(this);

        Mutation<SuspendProfessionalInputType, SuspendProfessionalInput, SuspendProfessionalPayloadType>("suspendProfessional",
            "Suspends a professional: from their next request every vault refuses them (SUSPENDED). Who, when and why are kept in the directory record. Operators with the directory-admin role.",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(input.Rpps)).SuspendAsync(caller, input.Reason), null));

        Mutation<ReinstateProfessionalInputType, ReinstateProfessionalInput, ReinstateProfessionalPayloadType>("reinstateProfessional",
            "Lifts a suspension: the professional's next request is evaluated as before. Operators with the directory-admin role.",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(input.Rpps)).ReinstateAsync(caller), null));

        Mutation<RegisterEstablishmentStaffInputType, RegisterEstablishmentStaffInput, RegisterEstablishmentStaffPayloadType>("registerEstablishmentStaff",
            "Registers a social or médico-social professional without RPPS/ADELI under a new Coffre identifier (99 + 8 digits + Luhn digit), as a member of the establishment: " +
            "an admin member acting for it (token finess), or an operator with the directory-admin role. The professional signs in with that identifier.",
            async (ctx, caller, input) =>
            {
                // A fresh identifier; a taken one (CONFLICT) is drawn again.
                for (var attempt = 0; ; attempt++)
                {
                    var id = CoffreProfessionalId.New();
                    try
                    {
                        return (await ctx.Grains().GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(id))
                            .RegisterStaffAsync(caller, input.Finess, new RegisterProfessional(input.DisplayName, input.ProfessionCode, input.Sector)), null);
                    }
                    catch (ValidationFailedException e) when (e.Code == ErrorCodes.Conflict && attempt < 4)
                    {
                    }
                }
            });

        AddAccompanimentMutations();
        AddMessagingMutations();
        AddAgendaMutations();
        AddExportMutations();
        AddDeliveryMutations();
        AddSharingMutations();
        AddCarerMutations();
        AddProfileMutations();
        AddAppMutations();
    }

    /// <summary>Declares <c>name(input: TInput!): TPayload!</c>; validation failures become <c>userErrors</c>.</summary>
    internal void Mutation<TInputType, TInput, TPayloadType>(string name, string description,
        Func<IResolveFieldContext, Caller, TInput, Task<(object? Result, string? VaultId)>> run, bool allowAnonymous = false)
        where TInputType : IInputObjectGraphType
        where TPayloadType : IObjectGraphType
    {
        Field<NonNullGraphType<TPayloadType>>(name)
            .Description(description)
            .Argument<NonNullGraphType<TInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.Caller();
                if (caller.Kind == CallerKind.Anonymous && !allowAnonymous)
                {
                    throw new AccessDeniedException("sign in first", DenialReason.NotAuthenticated);
                }
                try
                {
                    var (result, vaultId) = await run(ctx, caller, ctx.GetArgument<TInput>("input"));
                    return new MutationPayload(result, vaultId, []);
                }
                catch (ValidationFailedException e)
                {
                    return new MutationPayload(null, null, [new UserError(e.Code, e.Field, e.Message)]);
                }
            });
    }

    /// <summary>A mutation on one vault: resolves the vault id (field <c>vaultId</c>), hands the grain to <paramref name="run"/>.</summary>
    private void VaultMutation<TInputType, TInput, TPayloadType>(string name, string description, Func<IVaultGrain, Caller, TInput, Task<object?>> run)
        where TInputType : IInputObjectGraphType
        where TPayloadType : IObjectGraphType
        where TInput : IVaultInput =>
        VaultMutation<TInputType, TInput, TPayloadType>(name, description, (_, vault, caller, input) => run(vault, caller, input));

    private void VaultMutation<TInputType, TInput, TPayloadType>(string name, string description, Func<IResolveFieldContext, IVaultGrain, Caller, TInput, Task<object?>> run)
        where TInputType : IInputObjectGraphType
        where TPayloadType : IObjectGraphType
        where TInput : IVaultInput =>
        Mutation<TInputType, TInput, TPayloadType>(name, description, async (ctx, caller, input) =>
        {
            var vaultId = VaultIdOf(input.VaultId);
            return (await run(ctx, ctx.Vault(vaultId), caller, input), vaultId);
        });

    private static string RepresentativeOf(string id) =>
        GlobalId.VaultId(id) ?? throw new ValidationFailedException("representativeVaultId", "is not a vault id");

    /// <summary>
    /// One anonymous attempt (activation, sign-in, online opposition) on the person named by <paramref name="nir"/>:
    /// refused with RATE_LIMITED, before any work, when the client (IPv4 address or IPv6 /64) or the person is over
    /// its rate. The person's key is the NIR's keyed hash whether or not the registry knows it, so the answer is the
    /// same for known and unknown NIRs.
    /// </summary>
    private static void RequireAttemptAllowed(IResolveFieldContext ctx, string? nir)
    {
        var services = ctx.RequestServices!;
        RequireAttemptAllowedFor(ctx, nir is not null && Nir.IsValid(nir) ? services.GetRequiredService<NirHasher>().HashHex(nir) : "invalid-nir");
    }

    /// <summary>The same, for a person named by another key (a vault id from a hand-over sheet: <c>vault:v-…</c>).</summary>
    private static void RequireAttemptAllowedFor(IResolveFieldContext ctx, string person)
    {
        var services = ctx.RequestServices!;
        var http = services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>().HttpContext;
        var client = ActivationRateLimiter.ClientKey(http?.Connection.RemoteIpAddress);
        var limiter = services.GetRequiredService<ActivationRateLimiter>();
        if (!limiter.TryAcquire(client) || !limiter.TryAcquireForPerson(person))
        {
            throw new ExecutionError("too many attempts: wait a minute and retry") { Code = "RATE_LIMITED" };
        }
    }

    /// <summary>A field that hashes a passphrase (PBKDF2): one per request; later ones are refused before hashing.</summary>
    private static void RequirePassphraseWork(IResolveFieldContext ctx)
    {
        if (!ctx.RequestServices!.GetRequiredService<PassphraseWorkBudget>().TryTake())
        {
            throw new ExecutionError("one sign-in or passphrase change per request") { Code = "RATE_LIMITED" };
        }
    }

    /// <summary>The person's identity grain, keyed by the NIR's keyed hash (the NIR never leaves the API process).</summary>
    private static INirIndexGrain Identity(IResolveFieldContext ctx, string nir) =>
        ctx.Grains().GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(ctx.RequestServices!.GetRequiredService<NirHasher>().HashHex(nir)));

    /// <summary>A refused sign-in that never reached a vault still costs one PBKDF2 verification.</summary>
    private static string? Dummy(string passphrase)
    {
        Passphrases.Verify(passphrase, Passphrases.Dummy);
        return null;
    }

    private static string VaultIdOf(string id) =>
        GlobalId.VaultId(id) ?? throw new ValidationFailedException("vaultId", "is not a vault id (v-… or a Vault global id)");

    private static ConsentRecord? ToConsent(ConsentInput? input) => input is null
        ? null
        : new ConsentRecord(input.Method, new DocumentScope(input.ClassCodes, input.TypeCodes), input.ExpiresAt, input.Evidence);
}
