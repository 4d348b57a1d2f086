using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Xunit;
using static Coffre.IntegrationTests.Rollout.RolloutKit;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>Minors' codes go to their legal representatives (issue 13, item 5), on both stores.</summary>
public abstract partial class RolloutStoreContract
{
    /// <summary>
    /// Synthetic minors born in 2012 or later (under 18 until 2030 at least, whatever the machine's date), with the given
    /// representatives and an email of their own that must never be used.
    /// </summary>
    private static List<PersonRecord> Minors(params IReadOnlyList<string>[] representatives)
    {
        var minors = new List<PersonRecord>(representatives.Length);
        while (minors.Count < representatives.Length)
        {
            var person = Person(Interlocked.Increment(ref _nextIndex));
            if (person.RepresentativeNirs.Count > 0 && person.BirthDate.Year >= 2012)
            {
                minors.Add(person with { Email = $"child{minors.Count}@example.test", RepresentativeNirs = representatives[minors.Count] });
            }
        }
        return minors;
    }

    [Fact]
    public async Task A_minors_code_goes_to_a_representatives_email_else_their_address_and_nowhere_when_none_can_be_written_to()
    {
        var adults = People(4);
        var (parentByEmail, parentByPost, opposedParent, adultByPost) =
            (adults[0] with { Email = "parent@example.test" }, adults[1] with { Email = null }, adults[2] with { Email = "opposed@example.test" },
             adults[3] with { Email = null });
        var stranger = People(1)[0];   // a representative the registry does not hold
        var minors = Minors(
            [parentByEmail.Nir],                   // 0: the parent's email
            [stranger.Nir, parentByPost.Nir],      // 1: the first representative in the registry has no email: their address
            [parentByPost.Nir, parentByEmail.Nir], // 2: the first representative with an email, whatever the order
            [opposedParent.Nir],                   // 3: their only representative opposed: nowhere
            [stranger.Nir]);                       // 4: no representative in the registry: nowhere
        await ImportAsync([parentByEmail, parentByPost, opposedParent, adultByPost, .. minors]);
        await Store.RecordOppositionAsync(new OppositionRequest(NirHash(opposedParent), OppositionChannel.Person, "self", T0));
        await CampaignAsync("c-minors");
        string Vault(PersonRecord p) => RegistryVaultIds.For(NirHash(p));

        var eligible = await EligibleAsync("c-minors");
        Assert.Equal(6, eligible.Count);   // the three adults who did not oppose, and minors 0 to 2
        Assert.Equal(2, await Store.CountUnreachableMinorsAsync("c-minors"));
        var streamed = new EligibleReadTally();
        Assert.Equal(6, await Store.StreamEligibleAsync("c-minors", streamed).CountAsync());
        Assert.Equal(2, streamed.UnreachableMinors);   // issuance's one read counts them as it goes
        Assert.Equal(new EligibleCounts(6, 2), await Store.CountEligibleAndUnreachableAsync("c-minors"));   // one read, the same figures
        var letterOfMinor = Assert.Single(eligible, e => e.VaultId == Vault(minors[1]));
        Assert.Equal((false, true, minors[1].GivenNames, null, parentByPost.Address),
            (letterOfMinor.HasEmail, letterOfMinor.ForRepresentatives, letterOfMinor.GivenNames, letterOfMinor.FamilyName, letterOfMinor.Address));

        var result = await Issuance(Store, Content).IssueAsync("c-minors");
        Assert.Equal((6L, 3L, 3L, 2L), (result.Issued, result.Emails, result.Letters, result.MinorsUnreachable));
        Assert.Null(await Store.FindValidCodeAsync(NirHash(minors[3])));
        Assert.Null(await Store.FindValidCodeAsync(NirHash(minors[4])));
        var counts = await Store.GetCampaignCountsAsync("c-minors", T0);
        Assert.Equal((2L, 0L), (counts.MinorsUnreachable, counts.Eligible));

        // Emails: the outbox message stays the child's (the code is bound to their vault); the channel writes to the parent.
        var messages = await ActivationMessagesAsync();
        Assert.Equal(new[] { Vault(parentByEmail), Vault(minors[0]), Vault(minors[2]) }.Order(StringComparer.Ordinal), messages.Select(m => m.Recipient).Order(StringComparer.Ordinal));
        var mail = new KeptMailTransport();
        var channel = new EmailDeliveryChannel(Store, Cipher, mail,
            new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/connect/activate") }));
        Assert.Empty(await channel.DeliverBatchAsync(messages));
        Assert.Equal(3, mail.Messages.Count);
        var own = mail.Messages.Single(m => m.Id == messages.Single(x => x.Recipient == Vault(parentByEmail)).Id);
        Assert.Equal((parentByEmail.Email, ActivationEmail.Subject), (own.To, own.Subject));
        var hasher = Hasher();
        foreach (var minor in new[] { minors[0], minors[2] })
        {
            var sent = mail.Messages.Single(m => m.Id == messages.Single(x => x.Recipient == Vault(minor)).Id);
            var first = RolloutRules.FirstGivenName(minor.GivenNames)!;
            Assert.Equal((parentByEmail.Email, ActivationEmail.RepresentativesSubject), (sent.To, sent.Subject));
            Assert.StartsWith($"Aux représentants légaux de {first},\n", sent.TextBody, StringComparison.Ordinal);
            Assert.Contains($"Le coffre-fort numérique de santé Coffre de {first} est prêt", sent.TextBody, StringComparison.Ordinal);
            Assert.Contains("VOTRE propre carte Vitale", sent.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain(minor.Nir, sent.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain(minor.Email!, sent.TextBody, StringComparison.Ordinal);
            var code = ActivationCodes.Display(Cipher.DecryptCode(messages.Single(x => x.Recipient == Vault(minor)).PayloadJson, Vault(minor)));
            Assert.Contains(code, sent.TextBody, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(mail.Messages, m => m.To.StartsWith("child", StringComparison.Ordinal) || m.To == opposedParent.Email);

        // Letters: the parent's own, and the child's at the parent's address, addressed to the child's representatives.
        var letters = (await Store.ListPrintBatchesAsync("c-minors")).Single();
        var read = await PrintBatchFiles.ReadAsync(Content, letters);
        Assert.Equal(new[] { Vault(adultByPost), Vault(parentByPost), Vault(minors[1]) }.Order(StringComparer.Ordinal), read.Select(l => l.VaultId).Order(StringComparer.Ordinal));
        var adultLetter = read.Single(l => l.VaultId == Vault(adultByPost));
        Assert.Equal((false, $"{adultByPost.GivenNames} {adultByPost.FamilyName}", adultByPost.Address!.Line1),
            (adultLetter.ForRepresentatives, adultLetter.Name, adultLetter.AddressLine1));
        var minorLetter = read.Single(l => l.VaultId == Vault(minors[1]));
        Assert.Equal((true, $"Aux représentants légaux de {RolloutRules.FirstGivenName(minors[1].GivenNames)}"), (minorLetter.ForRepresentatives, minorLetter.Name));
        Assert.Equal(parentByPost.Address, new PostalAddress(minorLetter.AddressLine1, minorLetter.AddressLine2, minorLetter.PostalCode, minorLetter.City));
        Assert.True(ActivationCodes.TryNormalise(minorLetter.Code, out var canonical));
        var valid = (await Store.FindValidCodeAsync(NirHash(minors[1])))!;
        Assert.True(hasher.Verify(canonical, valid.KeyId, valid.CodeHash));

        // The parent's email bounces: the child's new code goes by post, to a representative's address, the same way.
        var bounced = messages.Single(m => m.Recipient == Vault(minors[0]));
        Assert.Equal(1, await Store.RecordEmailBouncesAsync([new EmailBounce(bounced.Id, "c-minors", Vault(minors[0]))], T0));
        await Outbox.MarkUndeliverableAsync(bounced.Id, DeliveryOutcome.Bounced, "refused by the mail server (SMTP 550 at recipient)");
        var round = await Issuance(Store, Content).PostBouncesAsync("c-minors");
        Assert.Equal((1, 0, 0), (round.Posted, round.Unreachable, round.Superseded));
        var posted = await PrintBatchFiles.ReadAsync(Content, (await Store.ListPrintBatchesAsync("c-minors")).Single(b => b.BatchNo == round.BatchNos[0]));
        var bounceLetter = Assert.Single(posted);
        Assert.Equal((Vault(minors[0]), true, parentByEmail.Address!.Line1), (bounceLetter.VaultId, bounceLetter.ForRepresentatives, bounceLetter.AddressLine1));
        Assert.NotNull(await Store.FindValidCodeAsync(NirHash(minors[0])));

        // A representative who opposes is never written to again: the email channel finds no address for the child.
        await Store.RevokeCodesAsync(NirHash(minors[2]), T0.AddMinutes(1));
        await Store.RecordOppositionAsync(new OppositionRequest(NirHash(parentByEmail), OppositionChannel.Person, "self", T0.AddMinutes(2)));
        var recipient = (await Store.FindEmailRecipientsAsync([Vault(minors[2])]))[Vault(minors[2])];
        Assert.Equal((null, true), (recipient.Email, recipient.ForRepresentatives));
        var reissued = await Issuance(Store, Content).ReissueAsync("c-minors", NirHash(minors[2]));
        Assert.Equal((true, CodeChannel.Post), (reissued.Issued, reissued.Channel));   // to the other representative, by post
        await CheckInvariantsAsync("c-minors");
    }

    [Fact]
    public async Task A_minors_representatives_are_tried_in_order_however_many_for_the_email_and_for_the_address_apart()
    {
        var adults = People(4);
        var (parentByEmail, parentByPost, nobodyToWriteTo, emailOnly) =
            (adults[0] with { Email = "parent@example.test" }, adults[1] with { Email = null },
             adults[2] with { Email = null, Address = null }, adults[3] with { Email = "email-only@example.test", Address = null });
        var (stranger, otherStranger) = (People(1)[0], People(1)[0]);   // representatives the registry does not hold
        var minors = Minors(
            [stranger.Nir, otherStranger.Nir, parentByEmail.Nir], // 0: the third, past two the registry does not hold: email
            [nobodyToWriteTo.Nir, stranger.Nir, parentByPost.Nir], // 1: nobody has an email; the third has the first address
            [parentByPost.Nir, emailOnly.Nir],                     // 2: the second has the first email
            [nobodyToWriteTo.Nir, stranger.Nir]);                  // 3: nobody can be written to
        await ImportAsync([parentByEmail, parentByPost, nobodyToWriteTo, emailOnly, .. minors]);
        await CampaignAsync("c-order");
        string Vault(PersonRecord p) => RegistryVaultIds.For(NirHash(p));

        var eligible = (await EligibleAsync("c-order")).Where(e => e.ForRepresentatives).ToDictionary(e => e.VaultId);
        Assert.Equal(3, eligible.Count);
        Assert.True(eligible[Vault(minors[0])].HasEmail);
        Assert.Equal((false, parentByPost.Address), (eligible[Vault(minors[1])].HasEmail, eligible[Vault(minors[1])].Address));
        Assert.True(eligible[Vault(minors[2])].HasEmail);
        Assert.Equal(1, await Store.CountUnreachableMinorsAsync("c-order"));

        var result = await Issuance(Store, Content).IssueAsync("c-order");
        Assert.Equal((6L, 4L, 2L, 1L), (result.Issued, result.Emails, result.Letters, result.MinorsUnreachable));   // 3 adults, 3 minors
        var recipients = await Store.FindEmailRecipientsAsync([Vault(minors[0]), Vault(minors[2])]);
        Assert.Equal((parentByEmail.Email, emailOnly.Email), (recipients[Vault(minors[0])].Email, recipients[Vault(minors[2])].Email));
        await CheckInvariantsAsync("c-order");
    }

    /// <summary>
    /// Issuance reads adults and minors by two statements on PostgreSQL (issue 10: the adults' read has no join): whatever
    /// the chunk boundaries, every eligible person of either class gets exactly one code and one delivery record, nobody
    /// twice and nobody missing, and a person who turned 18 today is an adult (their own contact) even though the
    /// registry still lists their representatives.
    /// </summary>
    [Fact]
    public async Task Adults_and_minors_are_each_issued_exactly_once_across_both_reads()
    {
        var adults = People(24);
        for (var i = 0; i < adults.Count; i += 3)
        {
            adults[i] = adults[i] with { Email = null };   // some letters among the adults too
        }
        var stranger = People(1)[0];                        // a representative the registry does not hold
        var representatives = Enumerable.Range(0, 11).Select(i => (IReadOnlyList<string>)new[] { adults[i].Nir }).ToList();
        representatives.Add([stranger.Nir]);               // nowhere to write to
        var minors = Minors([.. representatives]);
        // Born 18 years ago today (the NIR holds the birth year and month), still listing a representative who has no email.
        var bornOn = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-18);
        var eighteenToday = Enumerable.Range(0, 1_000_000).Select(_ => Person(Interlocked.Increment(ref _nextIndex)))
            .First(p => p.RepresentativeNirs.Count > 0 && p.BirthDate.Year == bornOn.Year && p.BirthDate.Month == bornOn.Month)
            with { BirthDate = bornOn, Email = "eighteen@example.test", RepresentativeNirs = [adults[12].Nir] };
        await ImportAsync([.. adults, .. minors, eighteenToday]);
        await CampaignAsync("c-both");
        string Vault(PersonRecord p) => RegistryVaultIds.For(NirHash(p));
        var expectedAdults = adults.Append(eighteenToday).Select(Vault).ToHashSet(StringComparer.Ordinal);
        var expectedMinors = minors.Take(11).Select(Vault).ToHashSet(StringComparer.Ordinal);

        var eligible = await EligibleAsync("c-both");
        Assert.Equal(eligible.Count, eligible.Select(e => e.VaultId).Distinct(StringComparer.Ordinal).Count());
        Assert.True(expectedAdults.SetEquals(eligible.Where(e => !e.ForRepresentatives).Select(e => e.VaultId)));
        Assert.True(expectedMinors.SetEquals(eligible.Where(e => e.ForRepresentatives).Select(e => e.VaultId)));
        var adult = eligible.Single(e => e.VaultId == Vault(eighteenToday));
        Assert.True(adult.HasEmail);   // their own email, not a representative's
        Assert.Equal(expectedAdults.Count + expectedMinors.Count, await Store.CountEligibleAsync("c-both"));
        Assert.Equal(new EligibleCounts(expectedAdults.Count + expectedMinors.Count, 1), await Store.CountEligibleAndUnreachableAsync("c-both"));

        // Chunks of 7 over 36 people: chunks mix the two reads' people, and two writers commit them concurrently.
        var result = await Issuance(Store, Content, chunkSize: 7, writers: 2).IssueAsync("c-both");
        Assert.Equal((36L, 1L), (result.Issued, result.MinorsUnreachable));
        var delivered = await DeliveredCodesAsync(["c-both"]);   // fails on a second delivery record of a valid code
        Assert.True(expectedAdults.Union(expectedMinors).ToHashSet(StringComparer.Ordinal).SetEquals(delivered.Keys));
        var hasher = Hasher();
        foreach (var person in adults.Concat(minors.Take(11)).Append(eighteenToday))
        {
            var valid = (await Store.FindValidCodeAsync(NirHash(person)))!;
            Assert.Equal("c-both", valid.CampaignId);
            Assert.True(hasher.Verify(delivered[valid.VaultId], valid.KeyId, valid.CodeHash));
        }
        Assert.Null(await Store.FindValidCodeAsync(NirHash(minors[11])));
        var counts = await Store.GetCampaignCountsAsync("c-both", T0);
        Assert.Equal((36L, 0L, 1L), (counts.IssuedValid, counts.Eligible, counts.MinorsUnreachable));
        Assert.Equal(0, await Store.CountEligibleAsync("c-both"));
        Assert.Null(await Store.FindEligibleAsync("c-both", NirHash(minors[0])));
        Assert.Null(await Store.FindEligibleAsync("c-both", NirHash(adults[0])));
        await CheckInvariantsAsync("c-both");
    }
}
