using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>An expected failure of a mutation: which field, which rule.</summary>
public sealed record UserError(string Code, string? Field, string Message);

public sealed class UserErrorType : ObjectGraphType<UserError>
{
    public UserErrorType()
    {
        Name = "UserError";
        Description = "An expected failure (validation, quota, state) with the field at fault.";
        Field(e => e.Code).Description("Stable machine-readable code, e.g. VALIDATION.");
        Field(e => e.Field, nullable: true).Description("The input field at fault, when one is.");
        Field(e => e.Message).Description("A sentence the UI can show.");
    }
}
