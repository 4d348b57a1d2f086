using Coffre.Domain.Content;
using Xunit;

namespace Coffre.UnitTests.Content;

public sealed class ContentKeyTests
{
    [Theory]
    [InlineData("vaults/v-1/doc-2/1")]
    [InlineData("a")]
    [InlineData("print-batches/2026-11-23/batch_0001.csv")]
    public void Accepts_safe_keys(string value) => Assert.Equal(value, new ContentKey(value).Value);

    [Theory]
    [InlineData("")]
    [InlineData("../etc/passwd")]
    [InlineData("a/../b")]
    [InlineData("/absolute")]
    [InlineData("Upper/Case")]
    [InlineData("a//b")]
    [InlineData("a/b/c/d/e/f/g/h/i")]
    public void Rejects_unsafe_keys(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => new ContentKey(value));
        Assert.Contains("content key", error.Message);
    }

    [Theory]
    [InlineData("ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("abc", null)]
    [InlineData("zzcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", null)]
    public void Sha256_is_normalised_or_refused(string value, string? expected) => Assert.Equal(expected, Sha256Hex.Normalise(value));
}
