namespace Coffre.Domain.Access;

/// <summary>The caller may not do this. <see cref="Decision"/> says why, in words the UI can show.</summary>
[GenerateSerializer, Alias("coffre.access-denied")]
public sealed class AccessDeniedException : Exception
{
    public AccessDeniedException(string reason, DenialReason code = DenialReason.NotPermitted) : base(reason)
    {
        Reason = reason;
        Code = code;
    }

    [Id(0)]
    public string Reason { get; }

    [Id(1)]
    public DenialReason Code { get; }
}

/// <summary>Input broke a rule: <see cref="Field"/> names the field, <see cref="Rule"/> the rule.</summary>
[GenerateSerializer, Alias("coffre.validation-failed")]
public sealed class ValidationFailedException : Exception
{
    public ValidationFailedException(string field, string rule, string code = ErrorCodes.Validation) : base($"{field} {rule}")
    {
        Field = field;
        Rule = rule;
        Code = code;
    }

    [Id(0)]
    public string Field { get; }

    [Id(1)]
    public string Rule { get; }

    /// <summary>VALIDATION, QUOTA_EXCEEDED, NOT_FOUND or CONFLICT.</summary>
    [Id(2)]
    public string Code { get; }
}
