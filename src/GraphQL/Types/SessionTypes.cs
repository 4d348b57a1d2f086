using Coffre.GraphQL.Authorization;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record EndSessionInput(string SessionId);
public sealed record RegisterEstablishmentClientInput(string Finess, string? DisplayName);

public sealed class SessionType : ObjectGraphType<PersonSession>
{
    public SessionType()
    {
        Name = "Session";
        Description = "One sign-in of the person at Coffre's OpenID provider (an app holding refresh tokens).";
        Field(s => s.Id).Description("Pass to endSession.");
        Field(s => s.Client).Description("The app's client id.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<DateTimeOffsetGraphType>("lastUsedAt").Description("When the app last received tokens (sign-in or refresh).").Resolve(ctx => ctx.Source.LastUsedAt);
    }
}

public sealed class EndSessionInputType : InputObjectGraphType<EndSessionInput>
{
    public EndSessionInputType()
    {
        Name = "EndSessionInput";
        Field(x => x.SessionId);
    }
}

public sealed class EndSessionPayloadType() : PayloadType<StringGraphType>("EndSessionPayload", "endedSessionId", withVault: false);

public sealed class RegisterEstablishmentClientInputType : InputObjectGraphType<RegisterEstablishmentClientInput>
{
    public RegisterEstablishmentClientInputType()
    {
        Name = "RegisterEstablishmentClientInput";
        Field(x => x.Finess);
        Field(x => x.DisplayName, nullable: true);
    }
}

public sealed class EstablishmentClientType : ObjectGraphType<EstablishmentClientRegistration>
{
    public EstablishmentClientType()
    {
        Name = "EstablishmentClient";
        Description = "An establishment system's OAuth client (client credentials): it acts only for its FINESS. The secret is shown once.";
        Field(c => c.ClientId);
        Field(c => c.ClientSecret).Description("Shown once; Coffre keeps only a hash.");
        Field(c => c.Finess);
        Field(c => c.TokenEndpoint);
    }
}

public sealed class RegisterEstablishmentClientPayloadType() : PayloadType<EstablishmentClientType>("RegisterEstablishmentClientPayload", "client", withVault: false);
