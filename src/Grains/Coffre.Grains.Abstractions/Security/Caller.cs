namespace Coffre.Grains.Security;

/// <summary>Who is calling: established by the API from a validated token, re-checked by every grain method.</summary>
[GenerateSerializer, Immutable, Alias("coffre.caller")]
public sealed record Caller(
    [property: Id(0)] CallerKind Kind,
    [property: Id(1)] string Subject,
    [property: Id(2)] string? Rpps = null)
{
    public static Caller Anonymous { get; } = new(CallerKind.Anonymous, "anonymous");

    public bool IsOperator => Kind == CallerKind.Operator;
}

[GenerateSerializer, Alias("coffre.caller-kind")]
public enum CallerKind
{
    Anonymous = 0,
    Patient = 1,
    Professional = 2,
    Operator = 3,
}

/// <summary>The caller may not do this; <see cref="Reason"/> is safe to show.</summary>
[GenerateSerializer, Alias("coffre.access-denied")]
public sealed class AccessDeniedException : Exception
{
    public AccessDeniedException(string reason) : base(reason) => Reason = reason;

    [Id(0)]
    public string Reason { get; }
}

/// <summary>Input broke a rule: <see cref="Field"/> names the field, the message the rule.</summary>
[GenerateSerializer, Alias("coffre.validation-failed")]
public sealed class ValidationFailedException : Exception
{
    public ValidationFailedException(string field, string rule) : base($"{field} {rule}")
    {
        Field = field;
        Rule = rule;
    }

    [Id(0)]
    public string Field { get; }

    [Id(1)]
    public string Rule { get; }
}
