using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// What tests read instead of per-person outbox rows: the lines of a campaign's committed email batch files, through the
/// content store (checked against their <c>email_batch</c> rows), as the <c>activation-code</c> messages the router hands
/// to the email channel. One helper for the contract tests, the end-to-end kit and the SMTP tests.
/// </summary>
internal static class EmailBatchLines
{
    /// <summary>The delivery keys the tests' issuances seal email batches with (the rollout kit's and the end-to-end kit's).</summary>
    private static readonly DeliveryCodeCipher Keys = new(new Dictionary<short, byte[]>
    {
        [7] = RolloutKit.DeliveryKey,
        [1] = Convert.FromBase64String(RolloutEndToEnd.E2e.DeliveryKey1),
    }, 7);

    /// <summary>Every line of the campaign's committed email batches, in batch then line order.</summary>
    public static async Task<List<EmailBatchLine>> ReadAsync(IRolloutStore store, IContentStore content, string campaignId)
    {
        var lines = new List<EmailBatchLine>();
        foreach (var batch in await store.ListEmailBatchesAsync(campaignId))
        {
            lines.AddRange(await EmailBatchFiles.ReadAsync(content, batch, Keys));
        }
        return lines;
    }

    /// <summary>The line as the message the router builds for it.</summary>
    public static OutboxMessage Message(EmailBatchLine line, DateTimeOffset? createdAt = null) =>
        new(line.Id, OutboxChannel.Email, line.VaultId, DeliveryCodeCipher.OutboxKind, line.PayloadJson, createdAt ?? DateTimeOffset.UnixEpoch);

    /// <summary>
    /// The lines the router would still send (of every campaign when <paramref name="campaignId"/> is null): those carrying
    /// their person's valid email code — a revoked, used or re-issued code's line is refused at send time, as an outbox
    /// row used to be deleted.
    /// </summary>
    public static async Task<List<OutboxMessage>> SendableAsync(IRolloutStore store, IContentStore content, string? campaignId = null)
    {
        var campaigns = campaignId is null ? [.. (await store.ListCampaignsAsync()).Select(c => c.CampaignId)] : new List<string> { campaignId };
        var lines = new List<EmailBatchLine>();
        foreach (var campaign in campaigns)
        {
            lines.AddRange(await ReadAsync(store, content, campaign));
        }
        var recipients = await store.FindEmailRecipientsAsync([.. lines.Select(l => l.VaultId).Distinct(StringComparer.Ordinal)]);
        return [.. lines
            .Where(l => recipients.GetValueOrDefault(l.VaultId)?.ValidEmailCodeHash is { } valid && l.Carries(valid))
            .Select(l => Message(l))];
    }

    /// <summary>The vault's line in the campaign's email batches (its latest when re-issued), or null.</summary>
    public static async Task<EmailBatchLine?> FindAsync(IRolloutStore store, IContentStore content, string campaignId, string vaultId) =>
        (await ReadAsync(store, content, campaignId)).LastOrDefault(l => l.VaultId == vaultId);

    /// <summary>The code in clear that the vault's line carries (decrypted as the email channel does), or null without a line.</summary>
    public static async Task<string?> CodeAsync(IRolloutStore store, IContentStore content, DeliveryCodeCipher cipher, string campaignId, string vaultId) =>
        await FindAsync(store, content, campaignId, vaultId) is { } line ? cipher.DecryptCode(line.PayloadJson, line.VaultId) : null;
}
