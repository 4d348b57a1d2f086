using Coffre.Domain.Access;

namespace Coffre.Domain.Apps;

/// <summary>
/// One connection of a catalogue app to a person's vault, kept in the vault's access state
/// (<see cref="Vaults.VaultAccessState.AppConnections"/>) where the evaluator reads it: the scopes the person consented to
/// (the app may do nothing beyond them, whatever its token says), when and by whom, and when it ended. Reconnecting adds a
/// new connection; the ended one stays for the record (bounded: <see cref="AppRules.KeptConnections"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.app-connection")]
public sealed record AppConnection(
    [property: Id(0)] string AppId,
    [property: Id(1)] IReadOnlyList<AppScope> Scopes,
    [property: Id(2)] DateTimeOffset ConnectedAt,
    [property: Id(3)] string ConnectedBy,
    [property: Id(4)] DateTimeOffset? DisconnectedAt = null,
    [property: Id(5)] string? DisconnectedBy = null)
{
    public bool IsActive => DisconnectedAt is null;

    public bool Allows(AppScopeKind kind, string? target) => Scopes.Any(s => s.Kind == kind && (target is null || s.Target == target));
}

/// <summary>The catalogue's and the vault's bounds and the app id's shape.</summary>
public static class AppRules
{
    /// <summary>Apps in the catalogue.</summary>
    public const int MaxApps = 500;
    public const int MaxRedirectUris = 5;
    public const int MaxNameLength = 100;
    public const int MaxReferenceLength = 100;
    public const int MaxReasonLength = 500;

    /// <summary>Connections a vault keeps (live and ended, the oldest ended dropped first); live ones are at most <see cref="MaxLiveConnections"/>.</summary>
    public const int KeptConnections = 60;
    public const int MaxLiveConnections = 30;

    /// <summary>The app id prefix; the id is the app's OAuth client id: <c>app-</c> + 10 characters of Coffre's base32 alphabet (<see cref="Identifiers.Ids.NewToken"/>).</summary>
    public const string IdPrefix = "app-";

    /// <summary>The caller's app id (its OAuth client id) for an app caller, else null.</summary>
    public static string? AppIdOf(Caller caller) =>
        caller.Kind == CallerKind.App && caller.Subject.StartsWith("app:", StringComparison.Ordinal) ? caller.Subject[4..] : null;

    public static bool IsAppId(string? value) =>
        value is { Length: 14 } && value.StartsWith(IdPrefix, StringComparison.Ordinal)
        && value.AsSpan(4).IndexOfAnyExcept("0123456789abcdefghjkmnpqrstvwxyz") < 0;

    /// <summary>The scopes' names, space-separated (what OAuth carries).</summary>
    public static string Format(IEnumerable<AppScope> scopes) => string.Join(' ', scopes.Select(s => s.ToString()));
}
