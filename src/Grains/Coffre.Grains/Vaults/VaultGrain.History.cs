using Coffre.Application.Outbox;
using Coffre.Domain.Access;

namespace Coffre.Grains.Vaults;

/// <summary>Explanations of decisions, the access history and its chain, the person's notifications.</summary>
public sealed partial class VaultGrain
{
    async Task<AccessDecision> IVaultGrain.ExplainAsync(Caller caller, VaultAction action, string? documentId)
    {
        if (caller.Kind == CallerKind.Anonymous)
        {
            return AccessDecision.Deny(DenialReason.NotAuthenticated, "sign in first");
        }
        _ = Access;
        await FollowRegistryWhilePendingAsync();
        await RateLimitAsync(caller, "access.explain");
        var document = documentId is null ? null : FindDocument(documentId).Facts();
        // Anyone with some standing on the vault may ask why; the answer reveals no document content.
        var decision = evaluator.Decide(Access, caller, action, document, Now);
        await AuditAsync(caller, "access.explain", documentId is null ? "vault" : $"document:{documentId}", decision, Now);
        return decision;
    }

    async Task<AccessHistoryPage> IVaultGrain.GetAccessHistoryAsync(Caller caller, long? beforeSequence, int limit)
    {
        if (limit is < 1 or > 200)
        {
            throw new ValidationFailedException("first", "must be between 1 and 200");
        }
        await CheckAsync(caller, VaultAction.ReadHistory, null, "history.read", "vault");
        // The person sees every denial: those only counted so far are appended before the page is read.
        await AppendAllAsync(_denials.TakePending());
        var page = await audit.ReadAsync(VaultId, beforeSequence, limit);
        return new AccessHistoryPage(page.Items.Select(e => new AccessHistoryEntry(e.Sequence, e.Event)).ToList(), page.HasMore, page.TotalCount);
    }

    async Task<IReadOnlyList<VaultNotification>> IVaultGrain.GetNotificationsAsync(Caller caller, int limit)
    {
        if (limit is < 1 or > 100)
        {
            throw new ValidationFailedException("first", "must be between 1 and 100");
        }
        await CheckAsync(caller, VaultAction.ReadHistory, null, "notifications.read", "vault");
        // In-app messages only: the recipient's outbox also holds the activation-code letter.
        var messages = await outbox.ListForRecipientAsync(VaultId, limit, channel: OutboxChannel.InApp);
        return messages.Select(NotificationCodec.Decode).OfType<VaultNotification>().ToList();
    }

    async Task<IReadOnlyList<VaultNotification>> IVaultGrain.PollNotificationsAsync(Caller caller, DateTimeOffset after)
    {
        var now = Now;
        _ = Access;
        await RateLimitAsync(caller, "notifications.read");
        var decision = evaluator.Decide(Access, caller, VaultAction.ReadHistory, null, now);
        if (!decision.Allowed)
        {
            await AuditAsync(caller, "notifications.read", "vault", decision, now);
            decision.OrThrow();
        }
        var messages = await outbox.ListForRecipientAsync(VaultId, 50, channel: OutboxChannel.InApp);
        return messages.Where(m => m.CreatedAt > after).OrderBy(m => m.CreatedAt)
            .Select(NotificationCodec.Decode).OfType<VaultNotification>().ToList();
    }

    async Task<AuditChainReport> IVaultGrain.VerifyAuditChainAsync(Caller caller)
    {
        await CheckAsync(caller, VaultAction.VerifyHistory, null, "audit.verify", "vault");
        var result = await audit.VerifyAsync(VaultId);
        if (!result.Intact)
        {
            VaultLog.AuditChainBroken(logger, result.FirstBrokenSequence, result.EventsChecked, result.Problem);
        }
        return new AuditChainReport(result.Intact, result.EventsChecked, result.FirstBrokenSequence, result.Problem);
    }
}
