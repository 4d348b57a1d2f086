namespace Coffre.Domain.Access;

/// <summary>
/// Who is calling, as established by the API from a validated token (never from request arguments) and, for a
/// professional, from the directory (profession, standing, verified establishment). Every grain method receives it
/// and re-checks it against its own state.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.caller")]
public sealed record Caller(
    [property: Id(0)] CallerKind Kind,
    [property: Id(1)] string Subject,
    [property: Id(2)] string? Rpps = null,
    [property: Id(3)] string? ProfessionCode = null,
    [property: Id(4)] string? EstablishmentFiness = null,
    [property: Id(5)] OperatorRoles OperatorRoles = OperatorRoles.None,
    [property: Id(6)] DirectoryStanding Standing = DirectoryStanding.Unverified)
{
    public static Caller Anonymous { get; } = new(CallerKind.Anonymous, "anonymous");

    /// <summary>
    /// Set by the API only on the bulk feed path (<c>POST /feeds/documents</c>) for an establishment's system: its
    /// category code from the directory. A CreateDocument by such a caller is decided on the <see cref="LegalBasis.Feed"/>
    /// basis (the matrix's feed scope for this category) instead of a grant; null everywhere else.
    /// </summary>
    [Id(7)] public string? FeedCategory { get; init; }

    /// <summary>
    /// For a connected app (<see cref="CallerKind.App"/>): the vault of the person who connected it (the token's subject).
    /// What it may do there is the vault's own record of that connection (its consented scopes), never the token's.
    /// </summary>
    [Id(8)] public string? AppVaultId { get; init; }

    /// <summary>
    /// For a connected app: the scopes the catalogue declares for it now (set by the API from the catalogue, once per
    /// request). The evaluator lets the app use only the scopes both the person consented to and the catalogue still
    /// declares, so an operator narrowing an app narrows every existing connection at once. Null (unknown) allows nothing.
    /// </summary>
    [Id(9)] public IReadOnlyList<Coffre.Domain.Apps.AppScope>? AppScopes { get; init; }

    public bool IsOperator => Kind == CallerKind.Operator;

    /// <summary>A patient caller's subject is their own vault id.</summary>
    public string? VaultId => Kind == CallerKind.Patient ? Subject : null;

    public static Caller Patient(string vaultId) => new(CallerKind.Patient, vaultId);

    /// <summary>A professional as the directory knows them (active): what the API builds once the directory answered.</summary>
    public static Caller Professional(string rpps, string professionCode, string? finess = null) =>
        new(CallerKind.Professional, "rpps:" + rpps, rpps, professionCode, finess, Standing: DirectoryStanding.Active);

    /// <summary>An operator; <paramref name="roles"/> defaults to every role (system callers inside the cluster).</summary>
    public static Caller Operator(string subject, OperatorRoles roles = OperatorRoles.All) => new(CallerKind.Operator, subject, OperatorRoles: roles);

    /// <summary>An establishment's own system (OAuth client credentials): acts for its one FINESS, with no professional.</summary>
    public static Caller Establishment(string finess, string clientId) =>
        new(CallerKind.Establishment, "client:" + clientId, null, null, finess);

    /// <summary>
    /// An app of the catalogue acting for the person of <paramref name="vaultId"/> (authorization code + PKCE, the person's
    /// consent). <paramref name="standing"/> is the catalogue's word on the app (Active, Suspended, or Unregistered when the
    /// catalogue does not know it), as the directory's for a professional; <paramref name="catalogueScopes"/> the scopes the
    /// catalogue declares for it now (<see cref="AppScopes"/>).
    /// </summary>
    public static Caller App(string vaultId, string clientId, DirectoryStanding standing, IReadOnlyList<Coffre.Domain.Apps.AppScope>? catalogueScopes = null) =>
        new(CallerKind.App, "app:" + clientId, Standing: standing) { AppVaultId = vaultId, AppScopes = catalogueScopes };
}

[GenerateSerializer, Alias("coffre.caller-kind")]
public enum CallerKind
{
    Anonymous = 0,
    Patient = 1,
    Professional = 2,
    Operator = 3,

    /// <summary>An establishment's information system (client credentials), bound to one FINESS.</summary>
    Establishment = 4,

    /// <summary>An app of the catalogue connected by the person (OAuth client of Coffre's provider), within its consented scopes.</summary>
    App = 5,
}

/// <summary>
/// What the directory says of a professional caller. Only <see cref="Active"/> gives access; the default
/// (<see cref="Unverified"/>: built from a token, the directory not asked) gives none.
/// </summary>
[GenerateSerializer, Alias("coffre.directory-standing")]
public enum DirectoryStanding
{
    Unverified = 0,
    Active = 1,
    Suspended = 2,
    /// <summary>The token proves an identifier the directory does not know.</summary>
    Unregistered = 3,
}

/// <summary>An operator's roles (claim <c>coffre_operator_roles</c>): each opens its own set of operator actions.</summary>
[Flags]
[GenerateSerializer, Alias("coffre.operator-roles")]
public enum OperatorRoles
{
    None = 0,
    /// <summary>Vault lifecycle (open, close, status), legal representatives, hand-over help, audit chain checks, statistics.</summary>
    Support = 1,
    /// <summary>Oppositions recorded by phone, activation campaigns.</summary>
    Rollout = 2,
    /// <summary>Professionals, establishments, memberships, suspensions.</summary>
    DirectoryAdmin = 4,
    All = Support | Rollout | DirectoryAdmin,
}

/// <summary>What an operator does outside a vault's own rules (or on a vault, as its operator action).</summary>
[GenerateSerializer, Alias("coffre.operator-action")]
public enum OperatorAction
{
    /// <summary>A vault's status, lifecycle, representatives, audit chain, opening, finding one by NIR (support).</summary>
    VaultSupport = 0,
    /// <summary>Recording an opposition (rollout).</summary>
    Opposition = 1,
    /// <summary>Activation campaigns and codes (rollout).</summary>
    Campaigns = 2,
    /// <summary>Professionals, establishments, memberships, suspensions (directory admin).</summary>
    Directory = 3,
    /// <summary>Service statistics (support).</summary>
    Statistics = 4,
}

/// <summary>The roles' names in tokens and in the access history: <c>support</c>, <c>rollout</c>, <c>directory-admin</c>.</summary>
public static class OperatorRoleNames
{
    public const string Support = "support";
    public const string Rollout = "rollout";
    public const string DirectoryAdmin = "directory-admin";

    /// <summary>Space-separated names, in a fixed order; empty for none.</summary>
    public static string Format(OperatorRoles roles) => string.Join(' ', new[]
    {
        (roles & OperatorRoles.Support) != 0 ? Support : null,
        (roles & OperatorRoles.Rollout) != 0 ? Rollout : null,
        (roles & OperatorRoles.DirectoryAdmin) != 0 ? DirectoryAdmin : null,
    }.Where(n => n is not null));

    /// <summary>Roles named in a space- or comma-separated list; unknown names are ignored (they grant nothing).</summary>
    public static OperatorRoles Parse(string? names)
    {
        var roles = OperatorRoles.None;
        foreach (var name in (names ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= name.ToLowerInvariant() switch
            {
                Support => OperatorRoles.Support,
                Rollout => OperatorRoles.Rollout,
                DirectoryAdmin or "directory_admin" => OperatorRoles.DirectoryAdmin,
                _ => OperatorRoles.None,
            };
        }
        return roles;
    }
}
