using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// Break-glass review on the in-process cluster: the person sees the session and flags it → a case in the operators' queue →
/// resolved → the outcome on the person's session and in a notification; refusals (not an operator, twice, another vault);
/// the establishment's referent physician lists its sessions.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BreakGlassReviewGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private static readonly Caller Support = Caller.Operator("op-support", OperatorRoles.Support);
    private static readonly Caller Directory = Caller.Operator("op-directory", OperatorRoles.DirectoryAdmin);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private static string NewFiness()
    {
        var body = "75" + Random.Shared.Next(0, 999_999).ToString("D6");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Scene(string VaultId, IVaultGrain Vault, IVaultBreakGlassReviewGrain Review, Caller Owner, Caller Emergency, string Finess, BreakGlassSession Session);

    /// <summary>A hospital with an admin physician; one of its physicians breaks the glass on the person's vault.</summary>
    private async Task<(Scene Scene, Caller ReferentPhysician)> SceneAsync()
    {
        var finess = NewFiness();
        var establishment = fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess));
        await establishment.RegisterAsync(Directory, new RegisterEstablishment("Hôpital", EstablishmentKind.LegalEntity, "101", null, ProfessionSector.Health));
        async Task<Caller> MemberAsync(bool admin)
        {
            var rpps = NewRpps();
            await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
                .RegisterAsync(Directory, new RegisterProfessional("Dr Member", "10", ProfessionSector.Health));
            await establishment.SetMemberAsync(Directory, rpps, member: true, admin);
            return Caller.Professional(rpps, "10", finess);
        }
        var emergency = await MemberAsync(false);
        var referentPhysician = await MemberAsync(true);

        var vaultId = Ids.NewVaultId();
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(Caller.Professional(NewRpps(), "SOC-AS"), new OpenVault(new IdentityTraits("Martin", "Paule", new DateOnly(1944, 3, 2), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        var session = await vault.BreakGlassAsync(emergency, "Unconscious patient brought to the emergency room");
        return (new Scene(vaultId, vault, fixture.Grains.GetGrain<IVaultBreakGlassReviewGrain>(vaultId), Caller.Patient(vaultId), emergency, finess, session), referentPhysician);
    }

    private IBreakGlassReviewQueueGrain Queue => fixture.Grains.GetGrain<IBreakGlassReviewQueueGrain>(0);

    [Fact]
    public async Task Flag_then_case_listed_then_resolved_then_outcome_shown_to_the_person()
    {
        var (scene, _) = await SceneAsync();
        var seen = Assert.Single((await scene.Vault.GetAsync(scene.Owner)).Access!.BreakGlassSessions);
        Assert.Equal(scene.Session.Id, seen.Id);
        Assert.Equal(scene.Finess, seen.Finess);
        Assert.Equal("10", seen.ProfessionCode);

        var flagged = await scene.Review.FlagBreakGlassSessionAsync(scene.Owner, scene.Session.Id!, "I was not in hospital that day");
        var caseId = flagged.Review!.CaseId;
        Assert.Equal(BreakGlassReviewStatus.Open, flagged.Review.Status);

        var open = await AllCasesAsync(BreakGlassReviewStatus.Open);
        var listed = Assert.Single(open, c => c.CaseId == caseId);
        Assert.Equal(scene.VaultId, listed.VaultId);
        Assert.Equal(scene.Emergency.Rpps, listed.Rpps);
        Assert.Equal("I was not in hospital that day", listed.Comment);

        // Twice: refused, after telling the queue again (a retry repairs a lost case), which keeps the one case as it was.
        Assert.Equal(ErrorCodes.Conflict, (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Review.FlagBreakGlassSessionAsync(scene.Owner, scene.Session.Id!, null))).Code);
        Assert.Equal("I was not in hospital that day", Assert.Single(await AllCasesAsync(BreakGlassReviewStatus.Open), c => c.CaseId == caseId).Comment);

        // Not an operator (the person, the professional): refused.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Review.ResolveBreakGlassReviewAsync(scene.Owner, scene.Session.Id!, caseId, BreakGlassReviewOutcome.Justified, "fine"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Queue.GetAsync(scene.Owner, caseId));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Queue.ListAsync(scene.Emergency, BreakGlassReviewStatus.Open, 10, null));
        Assert.Equal(DenialReason.OperatorRoleMissing, (await Assert.ThrowsAsync<AccessDeniedException>(
            () => scene.Review.ResolveBreakGlassReviewAsync(Directory, scene.Session.Id!, caseId, BreakGlassReviewOutcome.Justified, "fine"))).Code);

        var resolved = await scene.Review.ResolveBreakGlassReviewAsync(Support, scene.Session.Id!, caseId, BreakGlassReviewOutcome.NotJustified, "The establishment was told and will follow up.");
        Assert.Equal(BreakGlassReviewStatus.Resolved, resolved.Review!.Status);
        Assert.Equal(ErrorCodes.Conflict, (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Review.ResolveBreakGlassReviewAsync(Support, scene.Session.Id!, caseId, BreakGlassReviewOutcome.Justified, "again"))).Code);

        // The person sees the outcome on the session and is notified; the case left the open queue.
        var review = Assert.Single((await scene.Vault.GetAsync(scene.Owner)).Access!.BreakGlassSessions).Review!;
        Assert.Equal(BreakGlassReviewOutcome.NotJustified, review.Outcome);
        Assert.Equal("The establishment was told and will follow up.", review.Note);
        Assert.NotNull(review.ResolvedAt);
        var notice = Assert.IsType<BreakGlassReviewedNotice>(Assert.Single(await scene.Vault.GetNotificationsAsync(scene.Owner, 50),
            n => n.Kind == NotificationKind.BreakGlassReviewed).Payload);
        Assert.Equal(BreakGlassReviewOutcome.NotJustified, notice.Outcome);
        Assert.DoesNotContain(await AllCasesAsync(BreakGlassReviewStatus.Open), c => c.CaseId == caseId);
        Assert.Equal(BreakGlassReviewOutcome.NotJustified, (await Queue.GetAsync(Support, caseId)).Outcome);

        // Every step is in the person's history.
        var events = (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();
        Assert.Contains(events, e => e.Operation == "breakglass.flag" && e.Allowed && e.Basis == LegalBasis.Owner);
        Assert.Contains(events, e => e.Operation == "breakglass.resolve" && e.Allowed && e.Basis == LegalBasis.Operator);
        Assert.Contains(events, e => e.Operation == "breakglass.resolve" && !e.Allowed);
    }

    [Fact]
    public async Task Another_persons_vault_and_unknown_sessions_are_refused()
    {
        var (scene, _) = await SceneAsync();
        var (other, _) = await SceneAsync();
        // Another person flags this vault's session: FORBIDDEN (audited), even knowing its id.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Review.FlagBreakGlassSessionAsync(other.Owner, scene.Session.Id!, null));
        // The session of another vault is unknown here.
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Review.FlagBreakGlassSessionAsync(scene.Owner, other.Session.Id!, null))).Code);
        // The professional who broke the glass does not review it on the vault.
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(
            () => scene.Review.FlagBreakGlassSessionAsync(scene.Emergency, scene.Session.Id!, null))).Code);
    }

    [Fact]
    public async Task The_establishments_referent_physician_lists_its_sessions()
    {
        var (scene, referentPhysician) = await SceneAsync();
        var log = fixture.Grains.GetGrain<IBreakGlassLogGrain>(GrainNames.Keys.BreakGlassLog(scene.Finess));
        var entry = Assert.Single((await log.ListAsync(referentPhysician, 10, null)).Items);
        Assert.Equal(scene.Session.Id, entry.SessionId);
        Assert.Equal(scene.Session.Reason, entry.Reason);
        Assert.Null(entry.ReviewStatus);
        Assert.Single((await log.ListAsync(Support, 10, null)).Items);
        // The physician who broke the glass is not an admin: refused.
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(() => log.ListAsync(scene.Emergency, 10, null))).Code);
        Assert.Equal("first", (await Assert.ThrowsAsync<ValidationFailedException>(() => log.ListAsync(referentPhysician, 51, null))).Field);

        await scene.Review.FlagBreakGlassSessionAsync(scene.Owner, scene.Session.Id!, null);
        Assert.Equal(BreakGlassReviewStatus.Open, Assert.Single((await log.ListAsync(referentPhysician, 10, null)).Items).ReviewStatus);
    }

    private async Task<List<BreakGlassReviewCase>> AllCasesAsync(BreakGlassReviewStatus status)
    {
        var all = new List<BreakGlassReviewCase>();
        string? after = null;
        BreakGlassReviewPage page;
        do
        {
            page = await Queue.ListAsync(Support, status, 50, after);
            all.AddRange(page.Items);
            after = page.Items.Count > 0 ? page.Items[^1].CaseId : null;
        }
        while (page.HasNextPage);
        return all;
    }
}
