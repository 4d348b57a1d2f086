using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Messaging;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Messaging;

/// <summary>
/// A party's conversations (key <c>convidx-{party}</c>), newest first, cursor = position. The header keeps the count; the
/// entries live in pages of <see cref="ConversationIndexPageGrain.Size"/> (<c>convidx-{party}/pN</c>), so a start writes
/// one small page and the header, and a list page reads at most two pages, however long the list. Written once per
/// conversation (when it starts), so a busy conversation costs its index nothing. The person's side is listed by the
/// owner and their representatives (decided and recorded by their vault); a professional lists theirs, an
/// establishment's system its own. A party starts at most <see cref="MessagingRules.MaxStartsPerDay"/> a day.
/// </summary>
[GrainType("conversation-index")]
public sealed class ConversationIndexGrain(
    [PersistentState(GrainNames.States.ConversationIndex, GrainNames.Storage)] IPersistentState<ConversationIndexState> index,
    TimeProvider clock) : Grain, IConversationIndexGrain
{
    private string Party => this.GetPrimaryKeyString()["convidx-".Length..];

    private IConversationIndexPageGrain Page(long page) =>
        GrainFactory.GetGrain<IConversationIndexPageGrain>(GrainNames.Keys.ConversationIndexPage(Party, page));

    async Task IConversationIndexGrain.AddAsync(Caller writer, ConversationEntry entry, bool startedByThisParty)
    {
        ConversationGrain.RequireSystem(writer);
        var count = index.State.Count;
        // A retried start finds its conversation among the last ones added (whatever page they are on).
        if (index.State.Recent.Contains(entry.ConversationId))
        {
            return;
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var startedToday = index.State.StartDay == today ? index.State.StartedThatDay : 0;
        if (startedByThisParty && startedToday >= MessagingRules.MaxStartsPerDay)
        {
            throw new ValidationFailedException("conversation", $"at most {MessagingRules.MaxStartsPerDay} conversations may be started a day: write in an existing one", ErrorCodes.QuotaExceeded);
        }
        // The page first: a header write that fails leaves an entry past the count, which the next add replaces.
        var position = count + 1;
        await Page(ConversationIndexPageGrain.PageOf(position)).AppendAsync(writer, entry with { Position = position });
        index.State.Count = position;
        index.State.Recent.Add(entry.ConversationId);
        if (index.State.Recent.Count > ConversationIndexState.RecentKept)
        {
            index.State.Recent.RemoveAt(0);
        }
        if (startedByThisParty)
        {
            index.State.StartDay = today;
            index.State.StartedThatDay = startedToday + 1;
        }
        await index.WriteStateAsync();
    }

    async Task<ConversationPage> IConversationIndexGrain.ListAsync(Caller caller, int first, string? after)
    {
        if (Party.StartsWith("vault:", StringComparison.Ordinal))
        {
            if (caller.Kind != CallerKind.Patient)
            {
                throw new AccessDeniedException("Only the person and their legal representatives list the person's conversations; a professional lists their own.",
                    caller.Kind == CallerKind.Anonymous ? DenialReason.NotAuthenticated : DenialReason.NotPermitted);
            }
            var vaultId = Party["vault:".Length..];
            var check = await GrainFactory.GetGrain<IVaultGrain>(GrainNames.Keys.Vault(vaultId))
                .CheckMessagingAsync(caller, "conversations.list", "vault", [], mustRead: false);
            if (!check.PersonSide)
            {
                throw new AccessDeniedException("Only the person and their legal representatives list the person's conversations.", DenialReason.NotPermitted);
            }
        }
        else
        {
            MessagingRules.DecideOwnListing(caller, Party).OrThrow();
        }
        MessagingRules.ValidatePageSize(first);
        var count = index.State.Count;
        var before = count + 1;
        if (after is not null && (!long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out before) || before < 1 || before > count + 1))
        {
            throw new ValidationFailedException("after", "is not a cursor of this list");
        }
        // Positions are 1..Count in start order; newest first means from before-1 down, page by page.
        var items = new List<ConversationEntry>(first);
        var last = before - 1;
        var lowest = Math.Max(1, before - first);
        for (var page = last < 1 ? -1 : ConversationIndexPageGrain.PageOf(last); page >= 0 && last >= lowest; page--)
        {
            var entries = await Page(page).ReadAsync(ConversationGrain.System);
            items.AddRange(entries.Where(e => e.Position >= lowest && e.Position <= last).OrderByDescending(e => e.Position));
            last = page * ConversationIndexPageGrain.Size;
        }
        var more = items.Count > 0 && items[^1].Position > 1;
        return new ConversationPage(items, more, (int)Math.Min(count, int.MaxValue));
    }
}

/// <summary>
/// One page of a party's conversation list (key <c>convidx-{party}/pN</c>): positions <c>N·Size+1 … (N+1)·Size</c>.
/// Silo-internal (its contract is not in the abstractions a gateway references); only the system reads and writes it.
/// </summary>
[Alias("coffre.conversation-index-page")]
public interface IConversationIndexPageGrain : IGrainWithStringKey
{
    /// <summary>Appends (or, for a retried position, replaces) an entry.</summary>
    [Alias("append")] Task AppendAsync(Caller writer, ConversationEntry entry);

    [Alias("read")] Task<IReadOnlyList<ConversationEntry>> ReadAsync(Caller reader);
}

[GrainType("conversation-index-page")]
public sealed class ConversationIndexPageGrain(
    [PersistentState(GrainNames.States.ConversationIndexPage, GrainNames.Storage)] IPersistentState<ConversationIndexPageState> page) : Grain, IConversationIndexPageGrain
{
    /// <summary>Entries per page: a list page of ≤ 50 reads at most two, a start rewrites one of bounded size.</summary>
    public const int Size = 256;

    public static long PageOf(long position) => (position - 1) / Size;

    async Task IConversationIndexPageGrain.AppendAsync(Caller writer, ConversationEntry entry)
    {
        ConversationGrain.RequireSystem(writer);
        PageEntries.Put(page.State.Entries, entry, e => e.Position);
        await page.WriteStateAsync();
    }

    Task<IReadOnlyList<ConversationEntry>> IConversationIndexPageGrain.ReadAsync(Caller reader)
    {
        ConversationGrain.RequireSystem(reader);
        return Task.FromResult<IReadOnlyList<ConversationEntry>>([.. page.State.Entries]);
    }
}
