using Coffre.Application.Directory;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Directory;
using Coffre.Grains.Establishments;

namespace Coffre.Grains.Professionals;

/// <summary>
/// A professional's directory record: profession, sector, status (active or suspended, by whom, when), memberships
/// and the history of changes. The API asks it once per request of this professional (<see cref="IProfessionalGrain.GetDirectoryEntryAsync"/>,
/// served from memory), so a suspension applies to the very next request, on every vault, without telling any vault.
/// </summary>
[GrainType("professional")]
public sealed class ProfessionalGrain(
    [PersistentState(GrainNames.States.Professional, GrainNames.Storage)] IPersistentState<ProfessionalState> state,
    HabilitationMatrix matrix,
    TimeProvider clock,
    IDirectoryIndex directoryIndex) : Grain, IProfessionalGrain
{
    private const int MaxHistory = 200;

    /// <summary>The answer to <see cref="IProfessionalGrain.GetDirectoryEntryAsync"/>, built once per change.</summary>
    private DirectoryEntry? entry;

    private string Rpps => this.GetPrimaryKeyString()["rpps-".Length..];

    async Task<ProfessionalProfile> IProfessionalGrain.RegisterAsync(Caller caller, RegisterProfessional command)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        if (DirectoryRules.Professional(new ProfessionalEntry(Rpps, command.DisplayName, command.ProfessionCode, command.Sector, []), matrix, "rpps") is { } violation)
        {
            throw violation.ToException();
        }
        return await SaveAsync(caller, command, registeredBy: caller.Subject, memberships: null);
    }

    async Task<DirectoryOutcome> IProfessionalGrain.ApplyEntryAsync(Caller caller, ProfessionalEntry row)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        if (DirectoryRules.Professional(row with { Identifier = Rpps }, matrix) is { } violation)
        {
            throw violation.ToException();
        }
        var previous = state.State.Profile;
        var memberships = row.Memberships.Select(Membership.From).ToList();
        var before = previous?.Memberships ?? [];
        if (previous is not null && previous.DisplayName == row.DisplayName.Trim() && previous.ProfessionCode == row.ProfessionCode.Trim()
            && previous.Sector == row.Sector && previous.Memberships.SequenceEqual(memberships))
        {
            // Nothing to write; the public entry is published again, so re-importing a list repairs the search index.
            await PublishAsync();
            return DirectoryOutcome.Unchanged;
        }
        // Each establishment a membership begins with must be registered (checked before anything is written).
        var added = memberships.Where(m => !before.Any(b => b.Finess == m.Finess)).ToList();
        var registered = await Task.WhenAll(added.Select(m => Establishment(m.Finess).IsRegisteredAsync()));
        if (Array.IndexOf(registered, false) is var missing and >= 0)
        {
            throw new ValidationFailedException($"memberships[{memberships.IndexOf(added[missing])}].finess", "names no registered establishment", ErrorCodes.NotFound);
        }
        // The establishments whose membership begins, changes admin or ends first (idempotent): if this record's write
        // then fails, the row is not UNCHANGED when it comes again, so a retry repairs both sides.
        await Task.WhenAll(memberships.Where(m => !before.Any(b => b.Finess == m.Finess && b.Admin == m.Admin))
            .Select(m => Establishment(m.Finess).RecordMemberAsync(caller, Rpps, member: true, m.Admin))
            .Concat(before.Where(b => !memberships.Any(m => m.Finess == b.Finess))
                .Select(b => Establishment(b.Finess).RecordMemberAsync(caller, Rpps, member: false, admin: false))));
        await SaveAsync(caller, new RegisterProfessional(row.DisplayName, row.ProfessionCode, row.Sector), registeredBy: caller.Subject, memberships);
        return previous is null ? DirectoryOutcome.Accepted : DirectoryOutcome.Updated;
    }

    private IEstablishmentGrain Establishment(string finess) => GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess));

    async Task<ProfessionalProfile> IProfessionalGrain.RegisterStaffAsync(Caller caller, string finess, RegisterProfessional command)
    {
        var establishment = GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess));
        // An admin member's membership is read from the directory (the establishment's grain), then the evaluator decides.
        var admin = !caller.IsOperator && caller is { Kind: CallerKind.Professional, Rpps: { } rpps } && caller.EstablishmentFiness == finess
            && await establishment.IsAdminAsync(rpps);
        AccessEvaluator.DecideStaffRegistration(caller, finess, admin).OrThrow();
        if (caller.IsOperator && await establishment.GetAsync(caller) is null)
        {
            throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        }
        if (!CoffreProfessionalId.IsValid(Rpps))
        {
            throw new ValidationFailedException("rpps", "staff registered by an establishment get a Coffre identifier (99…)");
        }
        if (state.State.Profile is not null)
        {
            throw new ValidationFailedException("rpps", "is already taken", ErrorCodes.Conflict);
        }
        if (Finess.Validate(finess) is { } finessRule)
        {
            throw new ValidationFailedException("finess", finessRule);
        }
        var profile = await SaveAsync(caller, command, registeredBy: caller.IsOperator ? caller.Subject : "establishment:" + finess, memberships: [new Membership(finess, Admin: false)]);
        await GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess)).AddStaffAsync(caller, Rpps);
        return profile;
    }

    /// <summary>
    /// Writes the record: a new one (with <paramref name="memberships"/>), or an update keeping standing and history
    /// and, when <paramref name="memberships"/> is null, the memberships.
    /// </summary>
    private async Task<ProfessionalProfile> SaveAsync(Caller caller, RegisterProfessional command, string registeredBy, IReadOnlyList<Membership>? memberships)
    {
        if (DirectoryRules.ProfessionalFields(command.DisplayName, command.ProfessionCode, command.Sector, matrix) is { } violation)
        {
            throw violation.ToException();
        }
        var now = clock.GetUtcNow();
        var previous = state.State.Profile;
        var profile = new ProfessionalProfile(
            Rpps, command.DisplayName.Trim(), command.ProfessionCode.Trim(), command.Sector,
            previous?.RegisteredAt ?? now, now, (previous?.Revision ?? 0) + 1);
        profile = previous is null
            ? profile with { RegisteredBy = registeredBy, Memberships = memberships ?? [] }
            : profile with
            {
                Status = previous.Status, SuspendedBy = previous.SuspendedBy, SuspendedAt = previous.SuspendedAt,
                SuspensionReason = previous.SuspensionReason, Memberships = memberships ?? previous.Memberships, RegisteredBy = previous.RegisteredBy,
                History = previous.History,
            };
        state.State.Profile = WithEvent(profile, previous is null ? "registered" : "updated", caller, now,
            memberships is null ? $"profession {profile.ProfessionCode}"
            : $"profession {profile.ProfessionCode}, member of {(memberships.Count == 0 ? "none" : string.Join(", ", memberships.Select(m => m.Finess)))}");
        await state.WriteStateAsync();
        await PublishAsync();
        return state.State.Profile;
    }

    Task<DirectoryEntry?> IProfessionalGrain.GetDirectoryEntryAsync()
    {
        if (state.State.Profile is not { } p)
        {
            // Unknown identifier: keep nothing in memory for it.
            this.DeactivateOnIdle();
            return Task.FromResult<DirectoryEntry?>(null);
        }
        return Task.FromResult<DirectoryEntry?>(entry ??= new DirectoryEntry(p.ProfessionCode, p.Sector, p.Status, p.Memberships));
    }

    async Task<ProfessionalProfile> IProfessionalGrain.SuspendAsync(Caller caller, string reason)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
        {
            throw new ValidationFailedException("reason", "must be 1 to 500 characters");
        }
        if (Domain.Text.TextRules.Validate(reason) is { } textRule)
        {
            throw new ValidationFailedException("reason", textRule);
        }
        var profile = Registered();
        var now = clock.GetUtcNow();
        state.State.Profile = WithEvent(profile with
        {
            Status = ProfessionalStatus.Suspended, SuspendedBy = caller.Subject, SuspendedAt = now, SuspensionReason = reason.Trim(),
            UpdatedAt = now, Revision = profile.Revision + 1,
        }, "suspended", caller, now, reason.Trim());
        await state.WriteStateAsync();
        await PublishAsync();
        return state.State.Profile;
    }

    async Task<ProfessionalProfile> IProfessionalGrain.ReinstateAsync(Caller caller)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        var profile = Registered();
        var now = clock.GetUtcNow();
        state.State.Profile = WithEvent(profile with
        {
            Status = ProfessionalStatus.Active, SuspendedBy = null, SuspendedAt = null, SuspensionReason = null,
            UpdatedAt = now, Revision = profile.Revision + 1,
        }, "reinstated", caller, now, null);
        await state.WriteStateAsync();
        await PublishAsync();
        return state.State.Profile;
    }

    async Task IProfessionalGrain.SetMembershipAsync(Caller caller, string finess, Membership? membership)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        var profile = Registered();
        var memberships = profile.Memberships.Where(m => m.Finess != finess).ToList();
        if (membership is not null)
        {
            memberships.Add(membership with { Finess = finess });
        }
        if (memberships.Count > DirectoryRules.MaxMemberships)
        {
            throw new ValidationFailedException("finess", $"the professional is already a member of {DirectoryRules.MaxMemberships} establishments (the most a record lists)");
        }
        var now = clock.GetUtcNow();
        state.State.Profile = WithEvent(profile with { Memberships = memberships, UpdatedAt = now, Revision = profile.Revision + 1 },
            membership is null ? "member-removed" : membership.Admin ? "member-admin" : "member", caller, now, finess);
        await state.WriteStateAsync();
        await PublishAsync();
    }

    Task<PublicProfessional?> IProfessionalGrain.GetPublicAsync() =>
        Task.FromResult(state.State.Profile is { } p ? new PublicProfessional(p.Rpps, p.DisplayName, p.ProfessionCode, p.Sector) : null);

    Task<ProfessionalProfile?> IProfessionalGrain.GetAsync(Caller caller)
    {
        AccessEvaluator.DecideDirectoryRecord(caller, Rpps).OrThrow();
        if (state.State.Profile is null)
        {
            this.DeactivateOnIdle();
        }
        return Task.FromResult(state.State.Profile);
    }

    /// <summary>The public entry to the directory index, right after each state write (search reads the index, never grains).</summary>
    private Task PublishAsync() => directoryIndex.UpsertAsync([DirectoryProjection.Of(state.State.Profile!)]);

    private ProfessionalProfile Registered() =>
        state.State.Profile ?? throw new ValidationFailedException("rpps", "names no registered professional", ErrorCodes.NotFound);

    private ProfessionalProfile WithEvent(ProfessionalProfile profile, string action, Caller caller, DateTimeOffset at, string? detail)
    {
        entry = null;
        var history = profile.History.Count >= MaxHistory ? profile.History.Skip(profile.History.Count - MaxHistory + 1) : profile.History;
        return profile with
        {
            History = [.. history, new DirectoryEvent(action, caller.Kind == CallerKind.Professional ? caller.Rpps ?? caller.Subject : caller.Subject,
                caller.IsOperator ? OperatorRoleNames.Format(caller.OperatorRoles) : null, at, detail)],
        };
    }
}

[GenerateSerializer, Alias("coffre.professional-state")]
public sealed class ProfessionalState
{
    [Id(0)]
    public ProfessionalProfile? Profile { get; set; }
}
