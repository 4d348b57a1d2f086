using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>The person (or a representative) sets their contact points and alert preferences (decided and audited by the vault).</summary>
public sealed partial class CoffreMutation
{
    private void AddDeliveryMutations() =>
        Field<NonNullGraphType<SetContactPreferencesPayloadType>>("setContactPreferences")
            .Description("Sets the person's email, mobile, accepted alert channels (in order) and quiet hours: the person and their representatives " +
                "(audited); others FORBIDDEN. Every broken rule is a userError naming its field (email, mobile, channels, quietHours.start, …).")
            .Argument<NonNullGraphType<SetContactPreferencesInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var input = ctx.GetArgument<SetContactPreferencesInput>("input");
                try
                {
                    var vaultId = VaultIdOf(input.VaultId);
                    var (preferences, errors) = DeliveryFields.ToPreferences(input);
                    if (preferences is null)
                    {
                        return new MutationPayload(null, null, [.. errors.Select(e => new UserError(ErrorCodes.Validation, e.Field, $"{e.Rule}: {e.Message}"))]);
                    }
                    return new MutationPayload(await ctx.Vault(vaultId).SetContactPreferencesAsync(caller, preferences), vaultId, []);
                }
                catch (ValidationFailedException e)
                {
                    return new MutationPayload(null, null, [new UserError(e.Code, e.Field, e.Message)]);
                }
            });
}
