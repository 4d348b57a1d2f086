using System.Net;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Apps;

namespace Coffre.Grains.Apps;

/// <summary>The catalogue's input rules, pure: each failure names the field and the rule.</summary>
public static class AppInputRules
{
    public static string Text(string? value, string field, int max)
    {
        var text = value?.Trim() ?? "";
        if (text.Length == 0 || text.Length > max)
        {
            throw new ValidationFailedException(field, $"must be 1 to {max} characters");
        }
        if (text.Any(char.IsControl))
        {
            throw new ValidationFailedException(field, "must not contain control characters");
        }
        return text;
    }

    /// <summary>1 to <see cref="AppScope.MaxScopesPerApp"/> distinct scopes of the vocabulary, class codes known to the matrix.</summary>
    public static IReadOnlyList<AppScope> Scopes(IReadOnlyList<string>? names, HabilitationMatrix matrix, string field = "scopes")
    {
        if (names is null || names.Count == 0 || names.Count > AppScope.MaxScopesPerApp)
        {
            throw new ValidationFailedException(field, $"must hold 1 to {AppScope.MaxScopesPerApp} scopes");
        }
        var scopes = new List<AppScope>();
        foreach (var name in names)
        {
            var scope = AppScope.TryParse(name?.Trim())
                ?? throw new ValidationFailedException(field, $"holds \"{Clip(name)}\", which is not a scope of Coffre (documents.read:{{class}}, documents.write:{{class}}, profile.read:{{section}}, profile.write:{{section}}, agenda.read, agenda.write)");
            if (scope.Kind is AppScopeKind.ReadDocuments or AppScopeKind.WriteDocuments && !matrix.ClassCodes.ContainsKey(scope.Target!))
            {
                throw new ValidationFailedException(field, $"holds \"{Clip(name)}\", whose class code is not one of the habilitation matrix");
            }
            if (!scopes.Contains(scope))
            {
                scopes.Add(scope);
            }
        }
        return scopes;
    }

    /// <summary>1 to <see cref="AppRules.MaxRedirectUris"/> absolute URIs: https, or http on a loopback host only; no fragment.</summary>
    public static IReadOnlyList<string> RedirectUris(IReadOnlyList<string>? values, string field = "redirectUris")
    {
        if (values is null || values.Count == 0 || values.Count > AppRules.MaxRedirectUris)
        {
            throw new ValidationFailedException(field, $"must hold 1 to {AppRules.MaxRedirectUris} URIs");
        }
        var uris = new List<string>();
        foreach (var value in values)
        {
            if (value is not { Length: > 0 and <= 2000 } || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Fragment.Length > 0
                || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri))) || uri.UserInfo.Length > 0)
            {
                throw new ValidationFailedException(field, "must hold absolute https URIs without fragment (http only on a loopback host: 127.0.0.1, [::1], localhost)");
            }
            if (!uris.Contains(uri.AbsoluteUri))
            {
                uris.Add(uri.AbsoluteUri);
            }
        }
        return uris;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static string Clip(string? value) => value is null ? "" : value.Length > 40 ? value[..40] + "…" : value;
}
