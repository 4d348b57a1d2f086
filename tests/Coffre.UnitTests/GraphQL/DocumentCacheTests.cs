using Coffre.GraphQL.Transport;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

public sealed class DocumentCacheTests
{
    [Fact]
    public void The_same_text_is_parsed_once_and_a_new_entry_starts_unvalidated()
    {
        var cache = new DocumentCache(10);
        var first = cache.GetOrParse("{ __typename }");
        Assert.False(first.Validated);
        first.Validated = true;
        Assert.Same(first, cache.GetOrParse("{ __typename }"));
        Assert.NotSame(first, cache.GetOrParse("{  __typename }")); // keyed by the exact text
    }

    [Fact]
    public void It_stays_within_its_bound_and_caches_no_syntax_error()
    {
        var cache = new DocumentCache(3);
        for (var i = 0; i < 10; i++)
        {
            cache.GetOrParse($"{{ a{i}: __typename }}");
            Assert.InRange(cache.Count, 1, 3);
        }
        Assert.Throws<GraphQLParser.Exceptions.GraphQLSyntaxErrorException>(() => cache.GetOrParse("{ unclosed"));
        Assert.InRange(cache.Count, 1, 3);
    }

    [Fact]
    public void Size_zero_caches_nothing()
    {
        var cache = new DocumentCache(0);
        Assert.NotSame(cache.GetOrParse("{ __typename }"), cache.GetOrParse("{ __typename }"));
        Assert.Equal(0, cache.Count);
    }
}
