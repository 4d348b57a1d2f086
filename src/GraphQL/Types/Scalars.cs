using Coffre.Domain.Identifiers;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Types;

/// <summary>A string scalar checked by a rule; the error names the scalar and the rule broken.</summary>
public abstract class CheckedStringGraphType : ScalarGraphType
{
    protected abstract string? Validate(string value);

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        string s when Validate(s) is null => s,
        string s => throw new FormatException($"{Name} {Validate(s)}"),
        _ => throw new FormatException($"{Name} must be a string"),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue s => ParseValue((string)s.Value),
        _ => throw new FormatException($"{Name} must be a string"),
    };

    public override object? Serialize(object? value) => value?.ToString();
}

public sealed class RppsGraphType : CheckedStringGraphType
{
    public RppsGraphType()
    {
        Name = "Rpps";
        Description = "A professional's RPPS (11 digits) or ADELI (9 digits) number, with its Luhn check digit.";
    }

    protected override string? Validate(string value) => Rpps.Validate(value);
}

public sealed class FinessGraphType : CheckedStringGraphType
{
    public FinessGraphType()
    {
        Name = "Finess";
        Description = "An establishment's FINESS number: 9 characters with its check digit (2A/2B for Corsica).";
    }

    protected override string? Validate(string value) => Finess.Validate(value);
}

public sealed class Sha256GraphType : CheckedStringGraphType
{
    public Sha256GraphType()
    {
        Name = "Sha256";
        Description = "A SHA-256 digest as 64 hexadecimal characters.";
    }

    protected override string? Validate(string value) => Coffre.Domain.Content.Sha256Hex.Normalise(value) is null ? "must be 64 hexadecimal characters" : null;
}

/// <summary>Input only: a NIR is accepted, validated, hashed, and never echoed back in full.</summary>
public sealed class NirGraphType : CheckedStringGraphType
{
    public NirGraphType()
    {
        Name = "Nir";
        Description = "A French social security number (NIR/INS), 15 characters with its key. Accepted as input, never returned in full.";
    }

    protected override string? Validate(string value) => Nir.Validate(value);

    public override object? Serialize(object? value) => value is string s && Nir.IsValid(s) ? Nir.Mask(s) : null;
}
