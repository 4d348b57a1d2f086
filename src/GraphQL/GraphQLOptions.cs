namespace Coffre.GraphQL;

/// <summary>Limits and switches of the GraphQL endpoint (configuration section <c>Coffre:GraphQL</c>).</summary>
public sealed class GraphQLOptions
{
    /// <summary>Introspection queries allowed. On in the embedded default, off in a cluster unless set.</summary>
    public bool? Introspection { get; set; }

    public int MaxDepth { get; set; } = 12;
    public int MaxComplexity { get; set; } = 5000;
    public int MaxAliases { get; set; } = 30;
    public int MaxDocumentBytes { get; set; } = 64 * 1024;
    public int MaxRequestBytes { get; set; } = 1024 * 1024;
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
