using Coffre.Domain.Profile;

namespace Coffre.Domain.Apps;

/// <summary>Every scope of the vocabulary, for the OpenID provider's list of scopes it knows.</summary>
public static class AppScopeVocabulary
{
    public static IEnumerable<string> All(IEnumerable<string> classCodes)
    {
        var classes = classCodes.Order(StringComparer.Ordinal).ToList();
        return classes.Select(c => new AppScope(AppScopeKind.ReadDocuments, c).ToString())
            .Concat(classes.Select(c => new AppScope(AppScopeKind.WriteDocuments, c).ToString()))
            .Concat(ProfileSections.All.Select(s => new AppScope(AppScopeKind.ReadProfile, ProfileSections.Name(s)).ToString()))
            .Concat(ProfileSections.All.Select(s => new AppScope(AppScopeKind.WriteProfile, ProfileSections.Name(s)).ToString()))
            .Append("agenda.read").Append("agenda.write");
    }
}
