using Coffre.Domain.Access;

namespace Coffre.Domain.Auditing;

/// <summary>IHE BALP / FHIR AuditEvent action codes.</summary>
[GenerateSerializer, Alias("coffre.audit-action")]
public enum AuditAction
{
    Create = 'C',
    Read = 'R',
    Update = 'U',
    Delete = 'D',
    Execute = 'E',
}

/// <summary>
/// One access to a vault, allowed or denied: who (kind, opaque id, profession), what (operation, target),
/// the outcome, and the legal basis; for repeated denials, how many (<see cref="Count"/>, from <see cref="FirstAt"/>
/// to <see cref="At"/>). Built only by <see cref="AuditEvents.Create"/>, which keeps personal data
/// out (targets are opaque ids; no names, no NIR, no document titles).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.audit-event")]
public sealed record AuditEvent(
    [property: Id(0)] string VaultId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] CallerKind ActorKind,
    [property: Id(3)] string ActorId,
    [property: Id(4)] string? ActorProfession,
    [property: Id(5)] AuditAction Action,
    [property: Id(6)] string Operation,
    [property: Id(7)] string Target,
    [property: Id(8)] bool Allowed,
    [property: Id(9)] LegalBasis Basis,
    [property: Id(10)] DenialReason Reason,
    [property: Id(11)] int Count = 1,
    [property: Id(12)] DateTimeOffset? FirstAt = null)
{
    /// <summary>
    /// True for an aggregated event: <see cref="Count"/> identical denials between <see cref="FirstAt"/> and
    /// <see cref="At"/>. A single event has count 1 and no first time (and keeps the version-1 canonical form).
    /// </summary>
    public bool IsAggregate => Count != 1 || FirstAt is not null;
}

/// <summary>The one audit factory.</summary>
public static class AuditEvents
{
    /// <summary>
    /// Builds the event for <paramref name="operation"/> (e.g. <c>document.read</c>) on <paramref name="target"/>
    /// (<c>vault</c>, <c>document:{id}</c>, <c>grant:{id}</c>) from the evaluator's decision.
    /// </summary>
    public static AuditEvent Create(string vaultId, Caller caller, string operation, string target, AccessDecision decision, DateTimeOffset at) =>
        new(vaultId, at, caller.Kind, ActorId(caller), ActorRole(caller), ActionOf(operation), operation, target,
            decision.Allowed, decision.Basis, decision.Reason);

    /// <summary>
    /// Someone outside Coffre acting through a share link: anonymous, known by the link's id only (<c>share:{linkId}</c>; no
    /// code, no address), basis <see cref="LegalBasis.ShareLink"/> when allowed; a refusal (the link locked after wrong codes)
    /// is recorded as NotAuthenticated.
    /// </summary>
    public static AuditEvent ShareLink(string vaultId, string linkId, string operation, string target, AuditAction action, bool allowed, DateTimeOffset at) =>
        new(vaultId, at, CallerKind.Anonymous, "share:" + linkId, null, action, operation, target, allowed,
            allowed ? LegalBasis.ShareLink : LegalBasis.None, allowed ? DenialReason.None : DenialReason.NotAuthenticated);

    /// <summary>
    /// What is recorded in <see cref="AuditEvent.ActorProfession"/>: a professional's profession code (from the
    /// directory), an operator's roles (<c>support rollout directory-admin</c>, space-separated), an establishment
    /// system's establishment (<c>finess:</c>+FINESS: the sender the person sees), else null.
    /// </summary>
    public static string? ActorRole(Caller caller) => caller.Kind switch
    {
        CallerKind.Operator => OperatorRoleNames.Format(caller.OperatorRoles),
        CallerKind.Establishment when caller.EstablishmentFiness is { } finess => "finess:" + finess,
        _ => caller.ProfessionCode,
    };

    /// <summary>Patients by vault id, professionals by RPPS (their public professional identifier), operators by subject.</summary>
    public static string ActorId(Caller caller) => caller.Kind switch
    {
        CallerKind.Professional => caller.Rpps ?? "unknown",
        CallerKind.Anonymous => "anonymous",
        _ => caller.Subject,
    };

    /// <summary>C/R/U/D/E from the operation's verb (the part after the last dot).</summary>
    public static AuditAction ActionOf(string operation) => operation[(operation.LastIndexOf('.') + 1)..] switch
    {
        "create" or "feed" or "upload" or "grant" or "add" or "block" => AuditAction.Create,
        "read" or "list" or "download" or "downloaded" or "history" or "explain" or "view" => AuditAction.Read,
        "delete" or "revoke" or "remove" or "unblock" => AuditAction.Delete,
        "break-glass" or "activate" or "close" or "verify" or "requested" or "build" => AuditAction.Execute,
        _ => AuditAction.Update,
    };
}
