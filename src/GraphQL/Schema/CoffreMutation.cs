using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Types;
using Coffre.Grains;
using Coffre.Grains.Professionals;
using Coffre.Grains.Security;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

public sealed class CoffreMutation : ObjectGraphType
{
    public CoffreMutation()
    {
        Name = "Mutation";

        Field<NonNullGraphType<RegisterProfessionalPayloadType>>("registerProfessional")
            .Description("Creates or updates a professional in the directory. Operators only.")
            .Argument<NonNullGraphType<RegisterProfessionalInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var input = ctx.GetArgument<RegisterProfessionalInput>("input");
                var grains = ctx.RequestServices!.GetRequiredService<IGrainFactory>();
                var caller = CallerFactory.From(ctx.User);
                if (!caller.IsOperator)
                {
                    throw new AccessDeniedException("only an operator may register professionals");
                }
                try
                {
                    var profile = await grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(input.Rpps))
                        .RegisterAsync(caller, new RegisterProfessional(input.DisplayName, input.ProfessionCode, input.Sector));
                    return new RegisterProfessionalPayload(profile, []);
                }
                catch (ValidationFailedException e)
                {
                    return new RegisterProfessionalPayload(null, [new UserError("VALIDATION", e.Field, e.Message)]);
                }
            });
    }
}

public sealed record RegisterProfessionalPayload(ProfessionalProfile? Professional, IReadOnlyList<UserError> UserErrors);

public sealed class RegisterProfessionalPayloadType : ObjectGraphType<RegisterProfessionalPayload>
{
    public RegisterProfessionalPayloadType()
    {
        Name = "RegisterProfessionalPayload";
        Field<ProfessionalType>("professional").Resolve(ctx => ctx.Source.Professional);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<UserErrorType>>>>("userErrors").Resolve(ctx => ctx.Source.UserErrors);
    }
}
