using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Messaging;
using Coffre.Domain.Vaults;
using Coffre.Grains.Messaging;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The person's side of messaging: every conversation step is decided here (<see cref="VaultAction.ContactPerson"/>,
/// which a vault <see cref="Block"/> or a <see cref="MessagingBlock"/> denies) and recorded in the person's own audit
/// chain, and each attachment is decided for the one who sends or reads it (an attachment never widens access).
/// </summary>
public sealed partial class VaultGrain
{
    async Task<MessagingCheck> IVaultGrain.CheckMessagingAsync(Caller caller, string operation, string target, IReadOnlyList<string> documentIds, bool mustRead)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operation);
        ArgumentNullException.ThrowIfNull(documentIds);
        var decision = await CheckAsync(caller, VaultAction.ContactPerson, null, operation, target);
        var now = Now;
        var attachments = new List<AttachmentView>(documentIds.Count);
        foreach (var id in documentIds)
        {
            var document = index.State.Documents.FirstOrDefault(d => d.Id == id);
            if (document is null || (mustRead && document.DeletedAt is not null))
            {
                if (mustRead)
                {
                    throw new ValidationFailedException("attachmentIds", $"names no document of this vault ({id})", ErrorCodes.NotFound);
                }
                attachments.Add(new AttachmentView(id, false, null, null, null, DenialReason.DocumentDeleted, "This document has been deleted."));
                continue;
            }
            var read = evaluator.Decide(Access, caller, VaultAction.ReadDocument, document.Facts(), now);
            if (!read.Allowed && mustRead)
            {
                // Attaching what one may not read would widen access: refused, and the refusal is in the history.
                await RecordAsync(caller, "message.attach", $"document:{id}", read, now);
            }
            attachments.Add(read.Allowed
                ? new AttachmentView(id, true, document.Title, document.ClassCode, document.TypeCode, DenialReason.None, read.Explanation)
                : new AttachmentView(id, false, null, null, null, read.Reason, read.Explanation));
        }
        return new MessagingCheck(decision.Basis, attachments);
    }

    async Task IVaultGrain.BlockMessagingAsync(Caller caller, string party)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "messaging.block", party);
        ValidateParty(party);
        if (Access.MessagingBlocks.Any(b => b.Party == party))
        {
            return;
        }
        if (Access.MessagingBlocks.Count >= MaxMessagingBlocks)
        {
            throw new ValidationFailedException("party", $"at most {MaxMessagingBlocks} parties may be blocked from messaging: lift one first", ErrorCodes.QuotaExceeded);
        }
        vault.State.Access = Access with { MessagingBlocks = [.. Access.MessagingBlocks, new MessagingBlock(party, Now, AuditEvents.ActorId(caller))] };
        await vault.WriteStateAsync();
    }

    async Task IVaultGrain.UnblockMessagingAsync(Caller caller, string party)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "messaging.unblock", party);
        ValidateParty(party);
        vault.State.Access = Access with { MessagingBlocks = Access.MessagingBlocks.Where(b => b.Party != party).ToList() };
        await vault.WriteStateAsync();
    }

    /// <summary>Messaging blocks a vault keeps: the vault's access state stays bounded.</summary>
    public const int MaxMessagingBlocks = 200;

    /// <summary>A party to block: <c>rpps:</c> and a professional identifier, or <c>finess:</c> and a FINESS.</summary>
    private static void ValidateParty(string party)
    {
        switch (party.Split(':', 2))
        {
            case ["rpps", var rpps]:
                VaultInputRules.Grantee(GranteeKind.Professional, rpps);
                break;
            case ["finess", var finess]:
                VaultInputRules.Grantee(GranteeKind.Establishment, finess);
                break;
            default:
                throw new ValidationFailedException("party", "must be rpps:<identifier> or finess:<FINESS>");
        }
    }
}
