using Coffre.Domain.Identifiers;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Types;
using Coffre.Grains;
using Coffre.Grains.Professionals;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

public sealed class CoffreQuery : ObjectGraphType
{
    public CoffreQuery()
    {
        Name = "Query";

        Field<NonNullGraphType<ServiceInfoType>>("service")
            .Description("What is answering: version and role. Public.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<ServiceInfo>());

        Field<NonNullGraphType<ViewerType>>("viewer")
            .Description("Who the token says you are. Anonymous without a token.")
            .Resolve(ctx => CallerFactory.From(ctx.User));

        Field<ProfessionalType>("professional")
            .Description("A professional by RPPS/ADELI number. Operators, and the professional themself.")
            .Argument<NonNullGraphType<StringGraphType>>("rpps")
            .ResolveAsync(async ctx =>
            {
                var rpps = ctx.GetArgument<string>("rpps");
                if (Rpps.Validate(rpps) is { } rule)
                {
                    throw ErrorCodes.WithField(new ExecutionError($"rpps {rule}") { Code = ErrorCodes.Validation }, "rpps");
                }
                var grains = ctx.RequestServices!.GetRequiredService<IGrainFactory>();
                return await grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetAsync(CallerFactory.From(ctx.User));
            });
    }
}
