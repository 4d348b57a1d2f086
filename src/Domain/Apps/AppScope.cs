using Coffre.Domain.Profile;

namespace Coffre.Domain.Apps;

/// <summary>What a scope lets a connected app do.</summary>
[GenerateSerializer, Alias("coffre.app-scope-kind")]
public enum AppScopeKind
{
    /// <summary><c>documents.read:{classCode}</c>: list and read the person's documents of that class (TRE_A03).</summary>
    ReadDocuments = 0,
    /// <summary><c>documents.write:{classCode}</c>: deposit documents of that class for the person.</summary>
    WriteDocuments = 1,
    /// <summary><c>profile.read:{section}</c>: read that section of the medical profile.</summary>
    ReadProfile = 2,
    /// <summary><c>profile.write:{section}</c>: add entries to that section (as the person's app).</summary>
    WriteProfile = 3,
    /// <summary><c>agenda.read</c>: the person's appointments and prevention dates.</summary>
    ReadAgenda = 4,
    /// <summary><c>agenda.write</c>: create and answer appointments for the person.</summary>
    WriteAgenda = 5,
}

/// <summary>
/// One OAuth scope of Coffre's catalogue of connected apps, e.g. <c>documents.read:11</c>, <c>profile.read:allergies</c>,
/// <c>agenda.read</c>. The vocabulary is closed: <see cref="TryParse"/> refuses anything else (a class code must be one of
/// the matrix's, checked by the caller that knows the matrix). The consent screen shows each with <see cref="Describe"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.app-scope")]
public sealed record AppScope(
    [property: Id(0)] AppScopeKind Kind,
    [property: Id(1)] string? Target = null)
{
    public const int MaxScopesPerApp = 30;

    public ProfileSection? Section => Kind is AppScopeKind.ReadProfile or AppScopeKind.WriteProfile ? ProfileSections.Parse(Target) : null;

    public override string ToString() => Kind switch
    {
        AppScopeKind.ReadDocuments => "documents.read:" + Target,
        AppScopeKind.WriteDocuments => "documents.write:" + Target,
        AppScopeKind.ReadProfile => "profile.read:" + Target,
        AppScopeKind.WriteProfile => "profile.write:" + Target,
        AppScopeKind.ReadAgenda => "agenda.read",
        AppScopeKind.WriteAgenda => "agenda.write",
        _ => "?",
    };

    /// <summary>Parses one scope name; null when it is not in the vocabulary (class codes are checked against the matrix by the caller).</summary>
    public static AppScope? TryParse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 64)
        {
            return null;
        }
        if (value == "agenda.read")
        {
            return new AppScope(AppScopeKind.ReadAgenda);
        }
        if (value == "agenda.write")
        {
            return new AppScope(AppScopeKind.WriteAgenda);
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            return null;
        }
        var (head, target) = (value[..colon], value[(colon + 1)..]);
        return head switch
        {
            "documents.read" when IsClassCode(target) => new AppScope(AppScopeKind.ReadDocuments, target),
            "documents.write" when IsClassCode(target) => new AppScope(AppScopeKind.WriteDocuments, target),
            "profile.read" when ProfileSections.Parse(target) is { } s => new AppScope(AppScopeKind.ReadProfile, ProfileSections.Name(s)),
            "profile.write" when ProfileSections.Parse(target) is { } s => new AppScope(AppScopeKind.WriteProfile, ProfileSections.Name(s)),
            _ => null,
        };
    }

    private static bool IsClassCode(string value) => value.Length is > 0 and <= 8 && value.All(char.IsAsciiLetterOrDigit);

    /// <summary>The scope in the person's words (French first, English beside), for the consent screen; <paramref name="classLabel"/> names a class code.</summary>
    public string Describe(Func<string, string?> classLabel) => Kind switch
    {
        AppScopeKind.ReadDocuments => $"Lire vos documents « {classLabel(Target!) ?? Target} » / Read your “{classLabel(Target!) ?? Target}” documents",
        AppScopeKind.WriteDocuments => $"Déposer des documents « {classLabel(Target!) ?? Target} » / Deposit “{classLabel(Target!) ?? Target}” documents",
        AppScopeKind.ReadProfile => $"Lire votre profil médical : {SectionFr(Section)} / Read your medical profile: {Target}",
        AppScopeKind.WriteProfile => $"Ajouter à votre profil médical : {SectionFr(Section)} / Add to your medical profile: {Target}",
        AppScopeKind.ReadAgenda => "Lire votre agenda (rendez-vous, dates de prévention) / Read your agenda (appointments, prevention dates)",
        AppScopeKind.WriteAgenda => "Gérer vos rendez-vous / Manage your appointments",
        _ => ToString(),
    };

    private static string SectionFr(ProfileSection? section) => section switch
    {
        ProfileSection.Treatments => "traitements",
        ProfileSection.Conditions => "maladies et antécédents",
        ProfileSection.Allergies => "allergies",
        ProfileSection.Vaccinations => "vaccinations",
        ProfileSection.Measurements => "mesures",
        _ => "?",
    };
}
