using System.ComponentModel.DataAnnotations;

namespace Coffre.GraphQL;

/// <summary>Limits and switches of the GraphQL endpoint (configuration section <c>Coffre:GraphQL</c>).</summary>
public sealed class GraphQLOptions
{
    public const string Section = "Coffre:GraphQL";

    /// <summary>Introspection queries allowed. On in the embedded default, off in a cluster unless set.</summary>
    public bool? Introspection { get; set; }

    [Range(1, 100)]
    public int MaxDepth { get; set; } = 12;

    /// <summary>Depth allowed to an introspection-only operation where introspection is on (tools' standard query nests type references).</summary>
    [Range(1, 100)]
    public int IntrospectionMaxDepth { get; set; } = 15;

    [Range(1, 1_000_000)]
    public int MaxComplexity { get; set; } = 5000;

    /// <summary>Fragment definitions in one document.</summary>
    [Range(0, 10_000)]
    public int MaxFragments { get; set; } = 100;

    /// <summary>Fields of the whole document once every fragment spread is replaced by its fragment (a bound on validation's work).</summary>
    [Range(1, 1_000_000)]
    public int MaxExpandedSelections { get; set; } = 5000;

    public Validation.DocumentLimits Limits => new(MaxFragments, MaxExpandedSelections, MaxDepth, MaxComplexity, IntrospectionMaxDepth);
    [Range(1, 10_000)]
    public int MaxAliases { get; set; } = 30;
    [Range(1, 16 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 64 * 1024;
    [Range(1, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;
    /// <summary>Query texts whose parsed (and, once a request passed, validated) document is kept; 0 = no cache.</summary>
    [Range(0, 100_000)]
    public int DocumentCacheSize { get; set; } = 1000;
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
