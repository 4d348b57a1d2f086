namespace Coffre.Domain.Access;

/// <summary>
/// Who is calling, as established by the API from a validated token (never from request arguments). Every
/// grain method receives it and re-checks it against its own state.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.caller")]
public sealed record Caller(
    [property: Id(0)] CallerKind Kind,
    [property: Id(1)] string Subject,
    [property: Id(2)] string? Rpps = null,
    [property: Id(3)] string? ProfessionCode = null,
    [property: Id(4)] string? EstablishmentFiness = null)
{
    public static Caller Anonymous { get; } = new(CallerKind.Anonymous, "anonymous");

    public bool IsOperator => Kind == CallerKind.Operator;

    /// <summary>A patient caller's subject is their own vault id.</summary>
    public string? VaultId => Kind == CallerKind.Patient ? Subject : null;

    public static Caller Patient(string vaultId) => new(CallerKind.Patient, vaultId);

    public static Caller Professional(string rpps, string professionCode, string? finess = null) =>
        new(CallerKind.Professional, "rpps:" + rpps, rpps, professionCode, finess);

    public static Caller Operator(string subject) => new(CallerKind.Operator, subject);

    /// <summary>An establishment's own system (OAuth client credentials): acts for its one FINESS, with no professional.</summary>
    public static Caller Establishment(string finess, string clientId) =>
        new(CallerKind.Establishment, "client:" + clientId, null, null, finess);
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
}
