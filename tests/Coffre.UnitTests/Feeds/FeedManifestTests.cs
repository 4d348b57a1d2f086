using Coffre.Domain.Feeds;
using Coffre.GraphQL.Feeds;
using Microsoft.Extensions.Options;
using Xunit;

namespace Coffre.UnitTests.Feeds;

/// <summary>The feed's manifest rules (bounds of the request, each item's fields named) and the in-flight admission.</summary>
public sealed class FeedManifestTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static string Item(string extra = "", int i = 0) =>
        $$"""{"externalId":"e{{i}}","vaultId":"v-0000000000000000000{{i % 10}}","title":"CR","classCode":"10","typeCode":"34112-3","part":"p{{i}}","sha256":"{{Sha}}","size":100{{extra}}}""";

    private static FeedManifest Parse(string json, int maxItems = 50, long maxBytes = 10_000) =>
        FeedManifest.Parse(System.Text.Encoding.UTF8.GetBytes(json), maxItems, maxBytes, maxBytes);

    [Fact]
    public void A_valid_manifest_gives_its_items_and_declared_bytes()
    {
        var m = Parse($$"""{"items":[{{Item()}},{{Item(",\"maskedFromProfessionals\":true,\"serviceDate\":\"2026-11-30\"", 1)}}]}""");
        Assert.Equal(2, m.Items.Count);
        Assert.Empty(m.Invalid);
        Assert.Equal(200, m.DeclaredBytes);
        Assert.True(m.Items[1].MaskedFromProfessionals);
        Assert.Equal(new DateOnly(2026, 11, 30), m.Items[1].ServiceDate);
    }

    [Theory]
    [InlineData(",\"nir\":\"184057512345625\"", "items[0].vaultId")]           // both nir and vaultId
    [InlineData(",\"masked\":true", "items[0].masked")]                         // a typo is not ignored
    [InlineData(",\"minorSecret\":\"yes\"", "items[0].minorSecret")]
    [InlineData(",\"serviceDate\":\"30/11/2026\"", "items[0].serviceDate")]
    public void A_bad_item_is_refused_alone_naming_its_index_and_field(string extra, string field)
    {
        var m = Parse($$"""{"items":[{{Item(extra)}},{{Item("", 1)}}]}""");
        var error = Assert.Single(m.Invalid);
        Assert.Equal(field, error.Field);
        Assert.Equal("e0", error.ExternalId);
        Assert.Single(m.Items);
    }

    [Fact]
    public void The_request_as_a_whole_is_bounded()
    {
        Assert.Equal("items", Assert.Throws<FeedManifestException>(() => Parse($$"""{"items":[{{Item()}},{{Item("", 1)}}]}""", maxItems: 1)).Field);
        Assert.Equal("items", Assert.Throws<FeedManifestException>(() => Parse("""{"items":[]}""")).Field);
        Assert.Equal("items", Assert.Throws<FeedManifestException>(() => Parse($$"""{"items":[{{Item()}},{{Item("", 1)}}]}""", maxBytes: 150)).Field);
        Assert.Equal("items[1].part", Assert.Throws<FeedManifestException>(() => Parse($$"""{"items":[{{Item()}},{{Item().Replace("\"e0\"", "\"e1\"")}}]}""")).Field);
        Assert.Equal("manifest", Assert.Throws<FeedManifestException>(() => Parse("{not json")).Field);
    }

    [Fact]
    public void Admission_refuses_beyond_the_bounds_and_frees_what_a_request_held()
    {
        var admission = new FeedAdmission(Options.Create(new FeedOptions { MaxInFlightItems = 3, MaxInFlightBytes = 1000 }));
        var first = admission.TryEnter(2, 400);
        Assert.NotNull(first);
        Assert.Null(admission.TryEnter(2, 100));   // items
        Assert.Null(admission.TryEnter(1, 700));   // bytes
        using (var second = admission.TryEnter(1, 600))
        {
            Assert.NotNull(second);
            Assert.Equal(3, admission.InFlightItems);
        }
        first!.Dispose();
        first.Dispose();                             // once only
        Assert.Equal(0, admission.InFlightItems);
        using var alone = admission.TryEnter(10, 5000); // larger than the bounds: admitted alone when idle
        Assert.NotNull(alone);
        Assert.Null(admission.TryEnter(1, 1));
    }
}
