using System.Text.RegularExpressions;

namespace Coffre.Domain.Content;

/// <summary>
/// A content key: lower-case segments of [a-z0-9._-] joined by '/', e.g. <c>vaults/v-3f2a/doc-91c4/1</c>.
/// The rule keeps keys safe as both file paths and blob names (no "..", no absolute paths).
/// </summary>
public readonly partial record struct ContentKey
{
    public string Value { get; }

    public ContentKey(string value)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException(
                $"content key '{value}' is invalid: use 1-8 segments of [a-z0-9._-] separated by '/', no segment '.' or '..', at most 512 characters",
                nameof(value));
        }
        Value = value;
    }

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= 512 } && KeyPattern().IsMatch(value)
        && value.Split('/').All(s => s is not "." and not "..");

    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9._-]+(/[a-z0-9._-]+){0,7}$")]
    private static partial Regex KeyPattern();
}
