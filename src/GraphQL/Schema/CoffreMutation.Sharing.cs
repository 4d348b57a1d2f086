using Coffre.Domain.Sharing;
using Coffre.Grains.Sharing;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Share links: each mutation goes to the vault, which decides (ShareDocuments, each document as ReadDocument) and records it.</summary>
public sealed partial class CoffreMutation
{
    private void AddSharingMutations()
    {
        VaultMutation<CreateShareLinkInputType, CreateShareLinkInput, CreateShareLinkPayloadType>("createShareLink",
            "The person (or a parent or tutor) shares chosen documents with someone outside Coffre: a link and a separate code to give " +
            "through two channels, for a limited time and number of openings; every opening and download is in the access history.",
            async (ctx, _, caller, input) =>
            {
                var created = await ctx.Sharing(VaultIdOf(input.VaultId)).CreateShareLinkAsync(caller,
                    new NewShareLink(input.DocumentIds, input.ExpiresAt, input.ValidForHours, input.MaxOpenings ?? ShareLinks.DefaultOpenings, input.Label));
                return new ShareLinkCreation(created.Link, ShareLinkFields.UrlOf(ctx, created.Link.LinkId), ShareLinks.DisplayCode(created.Code));
            });

        VaultMutation<RevokeShareLinkInputType, RevokeShareLinkInput, RevokeShareLinkPayloadType>("revokeShareLink",
            "Revokes a share link at once: the next opening or download through it is refused.",
            async (ctx, _, caller, input) => await ctx.Sharing(VaultIdOf(input.VaultId)).RevokeShareLinkAsync(caller, input.LinkId));
    }
}
