using Coffre.Domain.Access;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Execution;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

/// <summary>A denial reason has one spelling for front-ends: the DenialReason enum value, in why.reason and in extensions.reason.</summary>
public sealed class DenialReasonVocabularyTests
{
    [Fact]
    public void Every_reason_is_spelled_as_the_graphql_enum_value()
    {
        var type = new DenialReasonType();
        foreach (var reason in Enum.GetValues<DenialReason>())
        {
            var enumValue = type.Values.Single(v => Equals(v.Value, reason)).Name;
            Assert.Equal(enumValue, ErrorTranslation.ReasonOf(reason));
            Assert.Equal(enumValue, type.Serialize(reason));
            Assert.Matches("^[A-Z][A-Z_]*$", enumValue);
        }
        Assert.Equal("MASKED_FROM_PROFESSIONALS", ErrorTranslation.ReasonOf(DenialReason.MaskedFromProfessionals));
        Assert.Equal("NOT_AUTHENTICATED", ErrorTranslation.ReasonOf(DenialReason.NotAuthenticated));
    }

    [Fact]
    public async Task A_refusal_carries_the_enum_value_in_extensions_reason()
    {
        var context = new UnhandledExceptionContext(new ExecutionOptions(), new AccessDeniedException("masked", DenialReason.MaskedFromProfessionals));
        await ErrorTranslation.Translate(context);
        var error = Assert.IsType<ExecutionError>(context.Exception);
        Assert.Equal("FORBIDDEN", error.Code);
        Assert.Equal("MASKED_FROM_PROFESSIONALS", error.Extensions!["reason"]);
    }
}
