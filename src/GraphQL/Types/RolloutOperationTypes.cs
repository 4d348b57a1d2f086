using Coffre.Grains.Rollout;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record ReissueActivationCodeInput(string CampaignId, string Nir);

public sealed class ReissueActivationCodeInputType : InputObjectGraphType<ReissueActivationCodeInput>
{
    public ReissueActivationCodeInputType()
    {
        Name = "ReissueActivationCodeInput";
        Description = "The campaign to issue the new code in, and the person's NIR (never given back).";
        Field(x => x.CampaignId);
        Field(x => x.Nir).Description("The person's NIR, 15 characters (Corsica: 2A/2B).");
    }
}

public sealed class CodeReissueResultType : ObjectGraphType<CodeReissueResult>
{
    public CodeReissueResultType()
    {
        Name = "CodeReissueResult";
        Description = "What a re-issue did. The code itself travels only by email or letter.";
        Field(r => r.Revoked).Description("The person's codes revoked (the lost, locked or expired one).");
        Field(r => r.Issued).Description("False when the person is not eligible in this campaign (outside its segment, no email and no postal address).");
        Field(r => r.Channel, nullable: true).Description("EMAIL or POST when a code was issued.");
        Field(r => r.Batch, nullable: true).Description("The print batch carrying the letter (POST).");
    }
}

public sealed class ReissueActivationCodePayloadType() : PayloadType<CodeReissueResultType>("ReissueActivationCodePayload", "result", withVault: false);
