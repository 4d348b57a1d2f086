using Coffre.Grains.Security;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>What is answering the request.</summary>
public sealed record ServiceInfo(string Name, string Version, string Role);

public sealed class ServiceInfoType : ObjectGraphType<ServiceInfo>
{
    public ServiceInfoType()
    {
        Name = "ServiceInfo";
        Field(s => s.Name);
        Field(s => s.Version);
        Field(s => s.Role).Description("embedded, silo or gateway.");
    }
}

public sealed class ViewerType : ObjectGraphType<Caller>
{
    public ViewerType()
    {
        Name = "Viewer";
        Field<NonNullGraphType<StringGraphType>>("kind").Resolve(ctx => ctx.Source.Kind.ToString().ToUpperInvariant());
        Field<NonNullGraphType<StringGraphType>>("subject").Resolve(ctx => ctx.Source.Subject);
        Field<StringGraphType>("rpps").Resolve(ctx => ctx.Source.Rpps);
    }
}
