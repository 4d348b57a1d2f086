using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Orleans.Concurrency;

namespace Coffre.Grains.Apps;

/// <summary>
/// The catalogue of connected apps (one grain, key <see cref="GrainNames.Keys.AppCatalogue"/>, state
/// <see cref="GrainNames.States.AppCatalogue"/>): apps certified by the State that a person may connect to their vault,
/// each an OAuth client of Coffre's OpenID provider (its app id is its client id). Directory-admin operators register,
/// change, suspend and reinstate apps; anyone signed in browses the active ones. The provider and the API ask it, per
/// request, an app's standing (<see cref="StandingAsync"/>, answered from memory and interleaved).
/// </summary>
[Alias("coffre.app-catalogue")]
public interface IAppCatalogueGrain : IGrainWithStringKey
{
    /// <summary>A new app (directory-admin operators): its id is generated here; ACTIVE at once.</summary>
    [Alias("register")] Task<CatalogueApp> RegisterAsync(Caller caller, AppRegistration registration);

    /// <summary>Changes an app's scopes and/or redirect URIs (directory-admin operators). People's connections keep the scopes they consented to.</summary>
    [Alias("update")] Task<CatalogueApp> UpdateAsync(Caller caller, string appId, AppChanges changes);

    /// <summary>Suspends an app for everyone with a reason (directory-admin operators); CONFLICT when already suspended.</summary>
    [Alias("suspend")] Task<CatalogueApp> SuspendAsync(Caller caller, string appId, string reason);

    /// <summary>Lifts a suspension (directory-admin operators); CONFLICT when active.</summary>
    [Alias("reinstate")] Task<CatalogueApp> ReinstateAsync(Caller caller, string appId);

    /// <summary>Browses the catalogue by name: operators see every app, anyone else signed in the active ones; <c>first</c> 1–50.</summary>
    [Alias("list")] Task<CatalogueAppPage> ListAsync(Caller caller, int first, string? after);

    /// <summary>One app's public entry (the provider's authorize and consent pages, the person's list of apps), or null.</summary>
    [Alias("find"), ReadOnly, AlwaysInterleave] Task<CatalogueApp?> FindAsync(string appId);

    /// <summary>Several apps' entries (at most <see cref="AppRules.KeptConnections"/> ids), unknown ones left out.</summary>
    [Alias("find-many"), ReadOnly, AlwaysInterleave] Task<IReadOnlyList<CatalogueApp>> FindManyAsync(IReadOnlyList<string> appIds);

    /// <summary>What the catalogue says of an app caller: Active, Suspended, or Unregistered when unknown.</summary>
    [Alias("standing"), ReadOnly, AlwaysInterleave] Task<DirectoryStanding> StandingAsync(string appId);
}

[GenerateSerializer, Alias("coffre.app-status")]
public enum AppStatus
{
    Active = 0,
    Suspended = 1,
}

/// <summary>An app of the catalogue.</summary>
[GenerateSerializer, Immutable, Alias("coffre.catalogue-app")]
public sealed record CatalogueApp(
    [property: Id(0)] string AppId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Publisher,
    [property: Id(3)] string CertificationReference,
    [property: Id(4)] IReadOnlyList<AppScope> Scopes,
    [property: Id(5)] IReadOnlyList<string> RedirectUris,
    [property: Id(6)] AppStatus Status,
    [property: Id(7)] DateTimeOffset RegisteredAt,
    [property: Id(8)] string RegisteredBy,
    [property: Id(9)] DateTimeOffset? SuspendedAt = null,
    [property: Id(10)] string? SuspensionReason = null,
    [property: Id(11)] DateTimeOffset? UpdatedAt = null)
{
    /// <summary>What the catalogue says of the app as a caller: Active, or Suspended.</summary>
    public DirectoryStanding Standing => Status == AppStatus.Active ? DirectoryStanding.Active : DirectoryStanding.Suspended;
}

/// <summary>What an operator gives to register an app: scope names (e.g. <c>documents.read:11</c>) and redirect URIs.</summary>
[GenerateSerializer, Immutable, Alias("coffre.app-registration")]
public sealed record AppRegistration(
    [property: Id(0)] string Name,
    [property: Id(1)] string Publisher,
    [property: Id(2)] string CertificationReference,
    [property: Id(3)] IReadOnlyList<string> Scopes,
    [property: Id(4)] IReadOnlyList<string> RedirectUris);

/// <summary>A change of an app: null leaves a list as it is.</summary>
[GenerateSerializer, Immutable, Alias("coffre.app-changes")]
public sealed record AppChanges(
    [property: Id(0)] IReadOnlyList<string>? Scopes,
    [property: Id(1)] IReadOnlyList<string>? RedirectUris);

[GenerateSerializer, Immutable, Alias("coffre.catalogue-app-page")]
public sealed record CatalogueAppPage(
    [property: Id(0)] IReadOnlyList<CatalogueApp> Apps,
    [property: Id(1)] bool HasNextPage);
