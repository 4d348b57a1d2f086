namespace Coffre.GraphQL.GraphiQL;

/// <summary>The GraphiQL page at <c>/graphiql</c> (configuration section <c>Coffre:GraphiQL</c>).</summary>
public sealed class GraphiQLOptions
{
    public const string Section = "Coffre:GraphiQL";

    /// <summary>
    /// Serve <c>/graphiql</c>. On in the embedded default, off in a cluster role unless set
    /// (<c>Coffre:GraphiQL:Enabled=true</c>; its schema view and completion also need <c>Coffre:GraphQL:Introspection=true</c>).
    /// </summary>
    public bool? Enabled { get; set; }
}
