using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Identity;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// One person, one vault: the identity (NIR-index) grain resolves a person's vault across claims and the registry,
/// serialises opening and activation, refuses silent merges; hand-over sheets; the operator merge.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IdentityGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private static readonly Caller Operator = Caller.Operator("op-1");
    private static readonly Caller System = Caller.Operator("system:activation");
    private static long _nextPerson = 7_000_000 + Random.Shared.Next(0, 1_000_000) * 10L;

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private static Caller SocialWorker() => Caller.Professional(NewRpps(), "SOC-AS");

    private static ConsentRecord Consent() => new(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-042");

    private static byte[] Hash(string nir)
    {
        var hash = new byte[NirHasher.HashSize];
        ClusterFixture.NirHasher.Hash(nir, hash);
        return hash;
    }

    /// <summary>What the activation grain does once the settler's transaction consumed the code and marked the registry.</summary>
    private async Task<string> ActivatedAsync(PersonRecord person)
    {
        await ClusterFixture.Registry.MarkActivatedAsync(Hash(person.Nir), DateTimeOffset.UtcNow);
        return await Identity(person.Nir).ActivatedAsync(System);
    }

    private INirIndexGrain Identity(string nir) => fixture.Grains.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(ClusterFixture.NirHasher.HashHex(nir)));

    private static PersonRecord NextPerson()
    {
        while (true)
        {
            if (SyntheticPopulation.Person(Interlocked.Increment(ref _nextPerson)) is { RepresentativeNirs.Count: 0 } person && person.BirthDate.AddYears(18) < DateOnly.FromDateTime(DateTime.UtcNow))
            {
                return person;
            }
        }
    }

    /// <summary>People imported into the registry both silos read; each gets their deterministic registry vault.</summary>
    private static async Task<PersonRecord[]> ImportAsync(int count)
    {
        var people = Enumerable.Range(0, count).Select(_ => NextPerson()).ToArray();
        var importId = "unit-" + Guid.NewGuid().ToString("N")[..12];
        var run = await ClusterFixture.Registry.BeginImportAsync(importId, "unit.csv", new string('a', 64), DateTimeOffset.UtcNow, ImportMode.Upsert);
        using var chunk = new ImportChunk(importId, run.LinesDone, DateTimeOffset.UtcNow);
        var line = 0L;
        foreach (var p in people)
        {
            Assert.True(chunk.Add(++line, new RegistryRow(Hash(p.Nir), Nir.Mask(p.Nir), p.BirthDate, p.FamilyName, p.GivenNames, p.Sex, p.Email, p.Address, null, [])));
        }
        await ClusterFixture.Registry.CommitImportChunkAsync(chunk);
        await ClusterFixture.Registry.CompleteImportAsync(importId, DateTimeOffset.UtcNow);
        return people;
    }

    private static OpenVault Command(PersonRecord p, ConsentRecord? consent) =>
        new(new IdentityTraits(p.FamilyName, p.GivenNames, p.BirthDate, p.Sex, Nir.Mask(p.Nir)), consent);

    private static OpenVault NoNir(DateOnly birth) => new(new IdentityTraits("Sans", "Papiers", birth, Sex.Female), Consent());

    private static async Task<DocumentEntry> DepositAsync(IVaultGrain vault, Caller author)
    {
        var sha = Sha256Hex.Of(new byte[100]);
        var document = new NewDocument("Attestation", "52", "ATTEST-DROITS-AM", "application/pdf", 100, sha);
        var permit = await vault.AuthorizeUploadAsync(author, document);
        return await vault.AddDocumentAsync(author, document, permit.ContentKey, 100, sha);
    }

    [Fact]
    public async Task Referent_opening_a_registered_person_opens_the_registry_vault_and_activation_keeps_it()
    {
        var person = (await ImportAsync(1))[0];
        var registryVault = RegistryVaultIds.For(Hash(person.Nir));
        var social = SocialWorker();

        Assert.Equal(registryVault, await Identity(person.Nir).FindAsync(Operator));
        var opened = await Identity(person.Nir).OpenAsync(social, Command(person, Consent()));
        Assert.Equal(registryVault, opened.VaultId);
        Assert.Equal(VaultStatus.Pending, opened.Status);
        var document = await DepositAsync(fixture.Grains.GetGrain<IVaultGrain>(registryVault), social);

        // A second opening is a conflict, whoever asks.
        var again = await Assert.ThrowsAsync<ValidationFailedException>(() => Identity(person.Nir).OpenAsync(SocialWorker(), Command(person, Consent())));
        Assert.Equal(("CONFLICT", "nir"), (again.Code, again.Field));

        Assert.Equal(registryVault, await ActivatedAsync(person));
        var owner = Caller.Patient(registryVault);
        var vault = fixture.Grains.GetGrain<IVaultGrain>(registryVault);
        Assert.Equal(VaultStatus.Active, (await vault.GetAsync(owner)).Status);
        Assert.Contains((await vault.ListDocumentsAsync(owner, new DocumentQuery())).Items, d => d.Id == document.Id);
        Assert.Equal(registryVault, await Identity(person.Nir).FindAsync(Operator));
    }

    [Fact]
    public async Task Activating_an_unclaimed_registry_vault_reaches_its_grain_already_in_memory_through_the_registry()
    {
        var person = (await ImportAsync(1))[0];
        var registryVault = RegistryVaultIds.For(Hash(person.Nir));
        var vault = fixture.Grains.GetGrain<IVaultGrain>(registryVault);
        var owner = Caller.Patient(registryVault);
        // The vault's grain is in memory while the person is pending (a professional asked about it).
        await vault.ExplainAsync(SocialWorker(), VaultAction.ReadVault, null);

        // The code's transaction marks the registry; the identity grain audits the activation and calls no vault grain.
        Assert.Equal(registryVault, await ActivatedAsync(person));

        // The grain in memory asks the registry before its next decision: the person acts on an active vault.
        Assert.Equal(VaultStatus.Active, (await vault.GetAsync(owner)).Status);
        var history = await vault.GetAccessHistoryAsync(owner, null, 50);
        Assert.Contains(history.Items, h => h.Event.Operation == "vault.activate" && h.Event.Allowed && h.Event.ActorKind == CallerKind.Operator);
        Assert.Equal(registryVault, await Identity(person.Nir).FindAsync(Operator));
    }

    [Fact]
    public async Task Opening_and_activation_racing_for_one_person_end_in_one_vault()
    {
        const int Rounds = 25;
        var people = await ImportAsync(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var person = people[round];
            var registryVault = RegistryVaultIds.For(Hash(person.Nir));
            var social = SocialWorker();
            // Separate references, as two silos' callers would hold them; the order of start alternates.
            var open = Task.Run(async () =>
            {
                try
                {
                    return (await Identity(person.Nir).OpenAsync(social, Command(person, Consent()))).VaultId;
                }
                catch (ValidationFailedException e) when (e.Code == "CONFLICT")
                {
                    return null;
                }
            });
            var activate = Task.Run(() => ActivatedAsync(person));
            await Task.WhenAll(open, (Task)activate);
            Assert.Equal(registryVault, await activate);
            Assert.True(await open is null || await open == registryVault, $"round {round}: opened {await open}, activated {registryVault}");
            Assert.Equal(registryVault, await Identity(person.Nir).FindAsync(Operator));
            Assert.Equal(VaultStatus.Active, (await fixture.Grains.GetGrain<IVaultGrain>(registryVault).GetAsync(Caller.Patient(registryVault))).Status);
        }
    }

    [Fact]
    public async Task Unregistered_person_gets_a_new_vault_once_and_vault_by_nir_finds_it()
    {
        var person = NextPerson();
        Assert.Null(await Identity(person.Nir).FindAsync(Operator));
        var opened = await Identity(person.Nir).OpenAsync(SocialWorker(), Command(person, Consent()));
        Assert.NotEqual(RegistryVaultIds.For(Hash(person.Nir)), opened.VaultId);
        Assert.Equal(VaultStatus.Active, opened.Status);
        Assert.Equal(opened.VaultId, await Identity(person.Nir).FindAsync(Operator));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Identity(person.Nir).OpenAsync(Operator, Command(person, null)));
    }

    [Fact]
    public async Task Hand_over_sheet_activates_signs_in_locks_refuses_uniformly_and_a_second_sheet_recovers()
    {
        var social = SocialWorker();
        var vaultId = Ids.NewVaultId();
        var birth = new DateOnly(1969, 7, 21);
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, NoNir(birth));
        var owner = Caller.Patient(vaultId);

        // Only operators and active referents issue sheets; a doctor is refused (and audited).
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.IssueHandOverAsync(Caller.Professional(NewRpps(), "10")));
        var sheet = await vault.IssueHandOverAsync(social);
        Assert.Equal(vaultId, sheet.VaultId);
        Assert.True(ActivationCodes.TryNormalise(sheet.Code, out _));
        Assert.True(sheet.ExpiresAt > DateTimeOffset.UtcNow.AddDays(7));

        const string Passphrase = "correct horse battery staple";
        var wrongCode = ActivationCodes.Display(ActivationCodes.Generate());
        Assert.False(await vault.ActivateWithHandOverAsync(wrongCode, birth, Passphrase));
        Assert.False(await vault.ActivateWithHandOverAsync(sheet.Code, birth.AddDays(1), Passphrase));
        Assert.False(await fixture.Grains.GetGrain<IVaultGrain>(Ids.NewVaultId()).ActivateWithHandOverAsync(sheet.Code, birth, Passphrase));
        await Assert.ThrowsAsync<ValidationFailedException>(() => vault.ActivateWithHandOverAsync(sheet.Code, birth, "short"));

        Assert.True(await vault.ActivateWithHandOverAsync(sheet.Code.ToLowerInvariant(), birth, Passphrase));
        Assert.False(await vault.ActivateWithHandOverAsync(sheet.Code, birth, Passphrase)); // single use
        Assert.True(await vault.SignInAsync(birth, Passphrase));
        Assert.False(await vault.SignInAsync(birth.AddDays(1), Passphrase));

        // The person sees who handed the sheet over, and every attempt.
        var history = await vault.GetAccessHistoryAsync(owner, null, 200);
        Assert.Contains(history.Items, e => e.Event.Operation == "hand-over.issue" && e.Event.Allowed && e.Event.ActorId.Contains(social.Rpps!, StringComparison.Ordinal));
        Assert.Contains(history.Items, e => e.Event.Operation == "vault.hand-over-activate" && e.Event.Allowed);
        Assert.Contains(history.Items, e => e.Event.Operation == "vault.hand-over-activate" && !e.Event.Allowed);
        Assert.Contains(await vault.GetNotificationsAsync(owner, 20), n => n.Kind == NotificationKind.HandOverIssued && n.Payload is HandOverIssuedNotice);

        // Lost passphrase: a second sheet. Wrong codes with the right birth date lock it after 5.
        var second = await vault.IssueHandOverAsync(Operator);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await vault.ActivateWithHandOverAsync(ActivationCodes.Display(ActivationCodes.Generate()), birth, "another long passphrase"));
        }
        Assert.False(await vault.ActivateWithHandOverAsync(second.Code, birth, "another long passphrase"));
        var third = await vault.IssueHandOverAsync(social);
        // Wrong birth dates never lock a sheet.
        for (var i = 0; i < 6; i++)
        {
            Assert.False(await vault.ActivateWithHandOverAsync(ActivationCodes.Display(ActivationCodes.Generate()), birth.AddYears(1), "another long passphrase"));
        }
        Assert.True(await vault.ActivateWithHandOverAsync(third.Code, birth, "another long passphrase"));
        Assert.False(await vault.SignInAsync(birth, Passphrase));
        Assert.True(await vault.SignInAsync(birth, "another long passphrase"));
    }

    [Fact]
    public async Task Attach_nir_conflicts_with_an_existing_vault_and_the_operator_merge_moves_documents_with_provenance()
    {
        var person = (await ImportAsync(1))[0];
        var registryVault = RegistryVaultIds.For(Hash(person.Nir));
        var social = SocialWorker();
        var sourceId = Ids.NewVaultId();
        var source = fixture.Grains.GetGrain<IVaultGrain>(sourceId);
        await source.OpenAsync(social, NoNir(person.BirthDate));
        var document = await DepositAsync(source, social);

        // The NIR already names the registry vault: nothing merges silently.
        var conflict = await Assert.ThrowsAsync<ValidationFailedException>(() => Identity(person.Nir).AttachAsync(social, sourceId, Nir.Mask(person.Nir)));
        Assert.Equal(("CONFLICT", "nir"), (conflict.Code, conflict.Field));
        Assert.Null((await source.GetAsync(Caller.Patient(sourceId))).Identity!.NirMasked);

        // Only operators merge.
        var merge = fixture.Grains.GetGrain<IVaultMergeGrain>(0);
        await Assert.ThrowsAsync<AccessDeniedException>(() => merge.MergeAsync(social, sourceId, registryVault, "same person, checked on ID card"));
        var report = await merge.MergeAsync(Operator, sourceId, registryVault, "same person, checked on ID card");
        Assert.Equal(1, report.DocumentsMoved);
        Assert.Equal(0, (await merge.MergeAsync(Operator, sourceId, registryVault, "same person, checked on ID card")).DocumentsMoved);

        var target = fixture.Grains.GetGrain<IVaultGrain>(registryVault);
        await ActivatedAsync(person);
        var owner = Caller.Patient(registryVault);
        var moved = Assert.Single((await target.ListDocumentsAsync(owner, new DocumentQuery())).Items);
        Assert.Equal((sourceId, document.Id), (moved.MergedFromVaultId, moved.MergedFromDocumentId));
        Assert.Equal(document.ContentKey, moved.ContentKey);
        // The referent who opened the source keeps their mandate on the person's vault.
        Assert.NotEmpty((await target.ListDocumentsAsync(social, new DocumentQuery())).Items);

        var closed = await source.GetAsync(Caller.Patient(sourceId));
        Assert.Equal(VaultStatus.Closed, closed.Status);
        Assert.Equal(registryVault, closed.MergedInto);
        Assert.Contains((await source.GetAccessHistoryAsync(Caller.Patient(sourceId), null, 100)).Items, e => e.Event.Operation == "vault.merge-out" && e.Event.Allowed);
        Assert.Contains((await target.GetAccessHistoryAsync(owner, null, 100)).Items, e => e.Event.Operation == "vault.merge-in" && e.Event.Allowed);
        Assert.Contains(await target.GetNotificationsAsync(owner, 20), n => n.Kind == NotificationKind.VaultMerged && n.Payload is VaultMergedNotice { Documents: not null });
    }

    [Fact]
    public async Task Attach_nir_binds_a_vault_opened_without_one()
    {
        var person = NextPerson();
        var social = SocialWorker();
        var vaultId = Ids.NewVaultId();
        await fixture.Grains.GetGrain<IVaultGrain>(vaultId).OpenAsync(social, NoNir(person.BirthDate));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Identity(person.Nir).AttachAsync(SocialWorker(), vaultId, Nir.Mask(person.Nir)));
        var view = await Identity(person.Nir).AttachAsync(social, vaultId, Nir.Mask(person.Nir));
        Assert.Equal(Nir.Mask(person.Nir), view.Identity!.NirMasked);
        Assert.Equal(vaultId, await Identity(person.Nir).FindAsync(Operator));
        // Idempotent for the same vault.
        Assert.Equal(vaultId, (await Identity(person.Nir).AttachAsync(social, vaultId, Nir.Mask(person.Nir))).VaultId);
    }
}
