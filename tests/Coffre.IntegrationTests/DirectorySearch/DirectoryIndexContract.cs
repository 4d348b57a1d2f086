using Coffre.Application.Directory;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Xunit;

namespace Coffre.IntegrationTests.DirectorySearch;

/// <summary>
/// The contract every <see cref="IDirectoryIndex"/> passes, PostgreSQL (cluster) and in-memory (embedded) alike: name
/// prefixes on any word ignoring case and accents, each filter, suspended entries, keyset pagination, memberships
/// judged at the search's time, establishments resolved when read (a rename shows on members), replace and remove.
/// </summary>
public abstract class DirectoryIndexContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    protected abstract IDirectoryIndex Index { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    private static DirectoryRecord Professional(string id, string name, string profession = "10", ProfessionSector sector = ProfessionSector.Health,
        bool suspended = false, params DirectoryMembership[] memberships) =>
        new(DirectoryEntryKind.Professional, id, name, profession, sector, suspended, null, null, memberships);

    private static DirectoryRecord Establishment(string finess, string name, string? town, string? departement, ProfessionSector sector = ProfessionSector.Health) =>
        new(DirectoryEntryKind.Establishment, finess, name, null, sector, false, town, departement, []);

    private static DirectoryMembership Member(string finess, DateTimeOffset? start = null, DateTimeOffset? end = null) => new(finess, start, end);

    private Task<DirectoryPage> Search(DirectoryFilter filter, bool includeSuspended = false, int first = 50, string? after = null) =>
        Index.SearchAsync(DirectorySearchRules.Validate(filter, first, after, includeSuspended, Now));

    private async Task<List<string>> Ids(DirectoryFilter filter, bool includeSuspended = false) =>
        (await Search(filter, includeSuspended)).Items.Select(i => i.Identifier).ToList();

    /// <summary>A small directory: two establishments in Paris and Lyon, professionals with current, past and future memberships.</summary>
    private async Task SeedAsync()
    {
        await Index.UpsertAsync([
            Establishment("750000002", "Hôpital Hélios", "Paris", "75"),
            Establishment("690000005", "EHPAD Les Tilleuls", "Lyon", "69", ProfessionSector.MedicoSocial),
            Professional("10000000001", "Dr Hélène Martin", "10", ProfessionSector.Health, false, Member("750000002")),
            Professional("10000000002", "MARTIN Hélène", "60", ProfessionSector.Health, false, Member("690000005", start: Now.AddDays(-10)), Member("750000002")),
            Professional("10000000003", "Bernard Dupont", "10", ProfessionSector.Health, false, Member("750000002", end: Now.AddDays(-1))),
            Professional("10000000004", "Anne Helmut", "SOC-AS", ProfessionSector.Social, false, Member("690000005", start: Now.AddDays(1))),
            Professional("10000000005", "Hélène Suspendue", "10", ProfessionSector.Health, true, Member("750000002")),
        ]);
    }

    [Fact]
    public async Task A_name_prefix_matches_any_word_ignoring_case_and_accents()
    {
        await SeedAsync();
        Assert.Equal(["10000000004", "10000000001", "750000002", "10000000002"], await Ids(new DirectoryFilter(Name: "hel")));
        Assert.Equal(["10000000001", "10000000002"], await Ids(new DirectoryFilter(Name: "HÉLÈNE")));
        Assert.Equal(["10000000001", "10000000002"], await Ids(new DirectoryFilter(Name: "mar hél")));
        Assert.Equal(["10000000001"], await Ids(new DirectoryFilter(Name: "dr mart")));
        Assert.Equal(["10000000004"], await Ids(new DirectoryFilter(Name: "helm")));
        Assert.Empty(await Ids(new DirectoryFilter(Name: "elene")));
        Assert.Empty(await Ids(new DirectoryFilter(Name: "hélènes")));
    }

    [Fact]
    public async Task Filters_hold_together_and_memberships_count_only_while_active()
    {
        await SeedAsync();
        Assert.Equal(["10000000003", "10000000001"], await Ids(new DirectoryFilter(Profession: "10")));
        Assert.Equal(["10000000004"], await Ids(new DirectoryFilter(Sector: ProfessionSector.Social)));
        Assert.Equal(["690000005", "750000002"], await Ids(new DirectoryFilter(Kind: DirectoryEntryKind.Establishment)));
        // Establishment: members now (a past and a future membership do not count).
        Assert.Equal(["10000000001", "10000000002"], await Ids(new DirectoryFilter(Establishment: "750000002")));
        Assert.Equal(["10000000002"], await Ids(new DirectoryFilter(Establishment: "690000005")));
        // Département: the establishments there and the professionals with an active membership of one of them.
        Assert.Equal(["10000000001", "750000002", "10000000002"], await Ids(new DirectoryFilter(Departement: "75")));
        Assert.Equal(["690000005", "10000000002"], await Ids(new DirectoryFilter(Departement: "69")));
        Assert.Equal(["10000000002"], await Ids(new DirectoryFilter(Departement: "69", Kind: DirectoryEntryKind.Professional)));
        Assert.Equal(["690000005"], await Ids(new DirectoryFilter(Departement: "69", Kind: DirectoryEntryKind.Establishment)));
        Assert.Equal(["10000000002"], await Ids(new DirectoryFilter(Name: "hel", Profession: "60", Departement: "69")));
        Assert.Empty(await Ids(new DirectoryFilter(Name: "hel", Departement: "13")));
    }

    [Fact]
    public async Task Suspended_professionals_appear_only_when_asked_with_their_status()
    {
        await SeedAsync();
        Assert.DoesNotContain("10000000005", await Ids(new DirectoryFilter(Name: "suspendue")));
        var page = await Search(new DirectoryFilter(Name: "suspendue"), includeSuspended: true);
        var entry = Assert.Single(page.Items);
        Assert.True(entry.Suspended);
        Assert.Equal("10000000005", entry.Identifier);
    }

    [Fact]
    public async Task An_entry_shows_its_public_fields_and_a_professionals_active_establishments_as_they_read_now()
    {
        await SeedAsync();
        var martin = Assert.Single((await Search(new DirectoryFilter(Name: "martin hel", Profession: "60"))).Items);
        Assert.Equal(DirectoryEntryKind.Professional, martin.Kind);
        Assert.Equal("MARTIN Hélène", martin.DisplayName);
        Assert.Equal("60", martin.ProfessionCode);
        Assert.Equal(ProfessionSector.Health, martin.Sector);
        Assert.Equal(["690000005", "750000002"], martin.Establishments.Select(e => e.Finess));
        Assert.Equal(("Lyon", "69"), (martin.Town, martin.Departement));

        var helios = Assert.Single((await Search(new DirectoryFilter(Name: "hopital"))).Items);
        Assert.Equal((DirectoryEntryKind.Establishment, "Paris", "75", null), (helios.Kind, helios.Town, helios.Departement, helios.ProfessionCode));
        Assert.Empty(helios.Establishments);

        // The establishment is renamed and moves: its members' entries show it without being rewritten.
        await Index.UpsertAsync([Establishment("750000002", "Centre Hospitalier Saint-Louis", "Marseille", "13")]);
        var dr = Assert.Single((await Search(new DirectoryFilter(Name: "dr"))).Items);
        var place = Assert.Single(dr.Establishments);
        Assert.Equal(("750000002", "Centre Hospitalier Saint-Louis", "Marseille", "13"), (place.Finess, place.Name, place.Town, place.Departement));
        Assert.Equal(("Marseille", "13"), (dr.Town, dr.Departement));
        Assert.Equal(["750000002", "10000000001", "10000000002"], await Ids(new DirectoryFilter(Departement: "13")));
        Assert.Empty(await Ids(new DirectoryFilter(Name: "helios")));
    }

    [Fact]
    public async Task A_cursor_walk_returns_every_matching_entry_once_in_order()
    {
        // Twelve entries, some with the same name (the identifier then orders them), one establishment among them.
        var records = Enumerable.Range(0, 11)
            .Select(i => Professional($"1000000{i:0000}", i % 3 == 0 ? "Claire Durand" : $"Claire Durand {(char)('a' + i)}"))
            .Append(Establishment("750000093", "Clairefontaine", "Paris", "75"))
            .ToList();
        await Index.UpsertAsync(records);
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = await Search(new DirectoryFilter(Name: "clai"), first: 5, after: after);
            pages++;
            seen.AddRange(page.Items.Select(i => i.Identifier));
            if (!page.HasNextPage)
            {
                break;
            }
            Assert.Equal(5, page.Items.Count);
            after = page.Items[^1].Cursor;
        }
        Assert.Equal(3, pages);
        Assert.Equal(12, seen.Count);
        Assert.Equal(records.Select(r => r.Identifier).Order(), seen.Order());
        var expectedOrder = records.OrderBy(r => r.NameKey, StringComparer.Ordinal).ThenBy(r => r.Kind).ThenBy(r => r.Identifier, StringComparer.Ordinal).Select(r => r.Identifier);
        Assert.Equal(expectedOrder, seen);
        // The last page's cursor resumes after everything: an empty page.
        var end = await Search(new DirectoryFilter(Name: "clai"), after: (await Search(new DirectoryFilter(Name: "clai"))).Items[^1].Cursor);
        Assert.Empty(end.Items);
        Assert.False(end.HasNextPage);
    }

    [Fact]
    public async Task An_upsert_replaces_the_entry_the_last_of_a_batch_wins_and_a_removed_entry_is_gone()
    {
        await SeedAsync();
        await Index.UpsertAsync([
            Professional("10000000001", "Claire Vasseur", "10", ProfessionSector.Health, false),
            Professional("10000000001", "Dr Claire Vasseur", "21", ProfessionSector.Health, false),
        ]);
        Assert.Equal(["10000000002"], await Ids(new DirectoryFilter(Name: "helene")));
        var claire = Assert.Single((await Search(new DirectoryFilter(Name: "vasseur"))).Items);
        Assert.Equal(("Dr Claire Vasseur", "21"), (claire.DisplayName, claire.ProfessionCode));
        Assert.Empty(claire.Establishments);
        Assert.Equal(["10000000002"], await Ids(new DirectoryFilter(Establishment: "750000002")));

        await Index.RemoveAsync(DirectoryEntryKind.Professional, "10000000002");
        await Index.RemoveAsync(DirectoryEntryKind.Professional, "19999999999");
        Assert.Empty(await Ids(new DirectoryFilter(Name: "helene")));
        Assert.Empty(await Ids(new DirectoryFilter(Establishment: "750000002")));
    }
}
