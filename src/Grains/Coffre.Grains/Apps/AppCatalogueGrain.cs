using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.Domain.Identifiers;

namespace Coffre.Grains.Apps;

/// <summary>
/// The catalogue of connected apps (key <see cref="GrainNames.Keys.AppCatalogue"/>, state <c>app-catalogue-v1</c>): at most
/// <see cref="AppRules.MaxApps"/> apps. One grain is enough for its writes (operators' rare acts); its reads
/// (<see cref="IAppCatalogueGrain.StandingAsync"/> once per app request, <see cref="IAppCatalogueGrain.FindAsync"/> per
/// authorization) are answered from memory and interleave, so they never queue behind one another.
/// </summary>
[GrainType("app-catalogue")]
public sealed class AppCatalogueGrain(
    [PersistentState(GrainNames.States.AppCatalogue, GrainNames.Storage)] IPersistentState<AppCatalogueState> state,
    HabilitationMatrix matrix,
    TimeProvider clock) : Grain, IAppCatalogueGrain
{
    public const int MaxPageSize = 50;

    async Task<CatalogueApp> IAppCatalogueGrain.RegisterAsync(Caller caller, AppRegistration registration)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        ArgumentNullException.ThrowIfNull(registration);
        var name = AppInputRules.Text(registration.Name, "name", AppRules.MaxNameLength);
        var publisher = AppInputRules.Text(registration.Publisher, "publisher", AppRules.MaxNameLength);
        var reference = AppInputRules.Text(registration.CertificationReference, "certificationReference", AppRules.MaxReferenceLength);
        var scopes = AppInputRules.Scopes(registration.Scopes, matrix);
        var redirects = AppInputRules.RedirectUris(registration.RedirectUris);
        if (state.State.Apps.Count >= AppRules.MaxApps)
        {
            throw new ValidationFailedException("name", $"cannot be added: the catalogue already holds {AppRules.MaxApps} apps", ErrorCodes.Conflict);
        }
        if (state.State.Apps.Any(a => a.CertificationReference == reference))
        {
            throw new ValidationFailedException("certificationReference", "is already the reference of an app of the catalogue", ErrorCodes.Conflict);
        }
        string id;
        do
        {
            id = AppRules.IdPrefix + Ids.NewToken()[..10];
        }
        while (state.State.Apps.Any(a => a.AppId == id));
        var app = new CatalogueApp(id, name, publisher, reference, scopes, redirects, AppStatus.Active, clock.GetUtcNow(), caller.Subject);
        state.State.Apps.Add(app);
        await state.WriteStateAsync();
        return app;
    }

    async Task<CatalogueApp> IAppCatalogueGrain.UpdateAsync(Caller caller, string appId, AppChanges changes)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        ArgumentNullException.ThrowIfNull(changes);
        var (i, app) = Find(appId);
        if (changes.Scopes is null && changes.RedirectUris is null)
        {
            throw new ValidationFailedException("scopes", "or redirectUris must be given");
        }
        app = app with
        {
            Scopes = changes.Scopes is null ? app.Scopes : AppInputRules.Scopes(changes.Scopes, matrix),
            RedirectUris = changes.RedirectUris is null ? app.RedirectUris : AppInputRules.RedirectUris(changes.RedirectUris),
            UpdatedAt = clock.GetUtcNow(),
        };
        return await SaveAsync(i, app);
    }

    async Task<CatalogueApp> IAppCatalogueGrain.SuspendAsync(Caller caller, string appId, string reason)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        var text = AppInputRules.Text(reason, "reason", AppRules.MaxReasonLength);
        var (i, app) = Find(appId);
        if (app.Status == AppStatus.Suspended)
        {
            throw new ValidationFailedException("appId", "names an app already suspended", ErrorCodes.Conflict);
        }
        return await SaveAsync(i, app with { Status = AppStatus.Suspended, SuspendedAt = clock.GetUtcNow(), SuspensionReason = text });
    }

    async Task<CatalogueApp> IAppCatalogueGrain.ReinstateAsync(Caller caller, string appId)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        var (i, app) = Find(appId);
        if (app.Status == AppStatus.Active)
        {
            throw new ValidationFailedException("appId", "names an app that is not suspended", ErrorCodes.Conflict);
        }
        return await SaveAsync(i, app with { Status = AppStatus.Active, SuspendedAt = null, SuspensionReason = null });
    }

    Task<CatalogueAppPage> IAppCatalogueGrain.ListAsync(Caller caller, int first, string? after)
    {
        AccessEvaluator.DecideAppCatalogue(caller).OrThrow();
        if (first is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxPageSize}");
        }
        var administers = AccessEvaluator.AdministersApps(caller);
        var apps = state.State.Apps.Where(a => administers || a.Status == AppStatus.Active)
            .OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase).ThenBy(a => a.AppId, StringComparer.Ordinal).ToList();
        var start = 0;
        if (after is not null)
        {
            var at = apps.FindIndex(a => a.AppId == after);
            if (at < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = at + 1;
        }
        var page = apps.Skip(start).Take(first).ToList();
        return Task.FromResult(new CatalogueAppPage(page, start + page.Count < apps.Count));
    }

    Task<CatalogueApp?> IAppCatalogueGrain.FindAsync(string appId) =>
        Task.FromResult(state.State.Apps.FirstOrDefault(a => a.AppId == appId));

    Task<IReadOnlyList<CatalogueApp>> IAppCatalogueGrain.FindManyAsync(IReadOnlyList<string> appIds)
    {
        if (appIds.Count > AppRules.KeptConnections)
        {
            throw new ValidationFailedException("appIds", $"must hold at most {AppRules.KeptConnections} ids");
        }
        return Task.FromResult<IReadOnlyList<CatalogueApp>>(state.State.Apps.Where(a => appIds.Contains(a.AppId)).ToList());
    }

    Task<DirectoryStanding> IAppCatalogueGrain.StandingAsync(string appId) =>
        Task.FromResult(state.State.Apps.FirstOrDefault(a => a.AppId == appId)?.Standing ?? DirectoryStanding.Unregistered);

    private (int Index, CatalogueApp App) Find(string appId)
    {
        var i = state.State.Apps.FindIndex(a => a.AppId == appId);
        return i < 0 ? throw new ValidationFailedException("appId", "names no app of the catalogue", ErrorCodes.NotFound) : (i, state.State.Apps[i]);
    }

    private async Task<CatalogueApp> SaveAsync(int index, CatalogueApp app)
    {
        state.State.Apps[index] = app;
        await state.WriteStateAsync();
        return app;
    }
}

[GenerateSerializer, Alias("coffre.app-catalogue-state")]
public sealed class AppCatalogueState
{
    [Id(0)] public List<CatalogueApp> Apps { get; set; } = [];
}
