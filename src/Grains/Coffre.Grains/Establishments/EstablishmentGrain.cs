using Coffre.Application.Directory;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Domain.Identifiers;

namespace Coffre.Grains.Establishments;

[GrainType("establishment")]
public sealed class EstablishmentGrain(
    [PersistentState(GrainNames.States.Establishment, GrainNames.Storage)] IPersistentState<EstablishmentState> state,
    TimeProvider clock,
    IDirectoryIndex directoryIndex) : Grain, IEstablishmentGrain
{
    private readonly SemaphoreSlim writes = new(1, 1);

    private string FinessNumber => this.GetPrimaryKeyString()["finess-".Length..];

    async Task<EstablishmentProfile> IEstablishmentGrain.RegisterAsync(Caller caller, RegisterEstablishment command)
    {
        RequireOperator(caller, "register establishments");
        var entry = new EstablishmentEntry(FinessNumber, command.Name, command.Kind == EstablishmentKind.Site, command.LegalEntityFiness,
            command.CategoryCode, command.Sector, command.Town, command.PostalCode);
        await SaveAsync(entry, partOfField: "legalEntityFiness");
        return state.State.Profile!;
    }

    async Task<DirectoryOutcome> IEstablishmentGrain.ApplyEntryAsync(Caller caller, EstablishmentEntry entry)
    {
        RequireOperator(caller, "register establishments");
        return await SaveAsync(entry with { Finess = FinessNumber }, partOfField: "partOf");
    }

    /// <summary>Checks the row (<see cref="DirectoryRules"/>), then writes it unless the record already says the same; members are kept.</summary>
    private async Task<DirectoryOutcome> SaveAsync(EstablishmentEntry entry, string partOfField)
    {
        if (DirectoryRules.Establishment(entry, partOfField) is { } violation)
        {
            throw violation.ToException();
        }
        var previous = state.State.Profile;
        var profile = new EstablishmentProfile(FinessNumber, entry.Name.Trim(), entry.Site ? EstablishmentKind.Site : EstablishmentKind.LegalEntity,
            entry.CategoryCode.Trim(), entry.PartOf, entry.Sector, previous?.Members ?? [], clock.GetUtcNow())
        {
            Admins = previous?.Admins ?? [],
            Town = entry.Town?.Trim(),
            PostalCode = entry.PostalCode,
        };
        if (previous is not null && previous with { UpdatedAt = profile.UpdatedAt } == profile)
        {
            // Nothing to write; the public entry is published again, so re-importing a list repairs the search index.
            await directoryIndex.UpsertAsync([Directory.DirectoryProjection.Of(previous)]);
            return DirectoryOutcome.Unchanged;
        }
        await WriteAsync(current => profile with { Members = current?.Members ?? [], Admins = current?.Admins ?? [] });
        // The public entry to the directory index (members' entries show the new name and town from the next search).
        await directoryIndex.UpsertAsync([Directory.DirectoryProjection.Of(state.State.Profile!)]);
        return previous is null ? DirectoryOutcome.Accepted : DirectoryOutcome.Updated;
    }

    Task<bool> IEstablishmentGrain.IsRegisteredAsync()
    {
        if (state.State.Profile is null)
        {
            this.DeactivateOnIdle();
        }
        return Task.FromResult(state.State.Profile is not null);
    }

    async Task IEstablishmentGrain.RecordMemberAsync(Caller caller, string rpps, bool member, bool admin)
    {
        RequireOperator(caller, "change establishment members");
        var profile = state.State.Profile ?? throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        if (profile.Members.Contains(rpps, StringComparer.Ordinal) != member || profile.Admins.Contains(rpps, StringComparer.Ordinal) != (member && admin))
        {
            await WriteAsync(current => WithMember(current!, rpps, member, member && admin));
        }
    }

    Task<EstablishmentProfile?> IEstablishmentGrain.GetAsync(Caller caller)
    {
        if (caller.Kind == CallerKind.Anonymous)
        {
            throw new AccessDeniedException("sign in to read the establishment directory", DenialReason.NotAuthenticated);
        }
        var profile = state.State.Profile;
        if (profile is null)
        {
            this.DeactivateOnIdle();
        }
        // Membership lists are for directory admin operators; others see the public directory entry.
        return Task.FromResult(AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).Allowed || profile is null ? profile : profile with { Members = [], Admins = [] });
    }

    Task<bool> IEstablishmentGrain.IsMemberAsync(string rpps)
    {
        if (state.State.Profile is not { } profile)
        {
            // An establishment nobody registered has no members; nothing to keep in memory.
            this.DeactivateOnIdle();
            return Task.FromResult(false);
        }
        return Task.FromResult(profile.Members.Contains(rpps, StringComparer.Ordinal));
    }

    async Task<EstablishmentProfile> IEstablishmentGrain.SetMemberAsync(Caller caller, string rpps, bool member, bool admin,
        string? role, DateTimeOffset? startsAt, DateTimeOffset? endsAt)
    {
        RequireOperator(caller, "change establishment members");
        if (Domain.Identifiers.Rpps.Validate(rpps) is { } rule)
        {
            throw new ValidationFailedException("rpps", rule);
        }
        var membership = new MembershipTerms(FinessNumber, role, startsAt, endsAt, member && admin);
        if (DirectoryRules.Membership(membership) is { } violation)
        {
            throw violation.ToException();
        }
        var profile = state.State.Profile ?? throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        // The professional's record first: it is what callers are built from (and it refuses unknown professionals).
        await GrainFactory.GetGrain<Professionals.IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
            .SetMembershipAsync(caller, FinessNumber, member ? Professionals.Membership.From(membership) : null);
        // From the state as it is now: a RecordMemberAsync may have interleaved while the professional's grain answered.
        await WriteAsync(current => WithMember(current!, rpps, member, member && admin));
        return state.State.Profile!;
    }

    Task<bool> IEstablishmentGrain.IsAdminAsync(string rpps) =>
        Task.FromResult(state.State.Profile is { } profile && profile.Admins.Contains(rpps, StringComparer.Ordinal));

    async Task IEstablishmentGrain.AddStaffAsync(Caller caller, string coffreId)
    {
        var profile = state.State.Profile ?? throw new ValidationFailedException("finess", "names no registered establishment", ErrorCodes.NotFound);
        var allowed = AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).Allowed
            || (caller is { Kind: CallerKind.Professional, Rpps: { } admin } && caller.EstablishmentFiness == FinessNumber
                && AccessEvaluator.ProfessionalStanding(caller) is null && profile.Admins.Contains(admin, StringComparer.Ordinal));
        if (!allowed || !CoffreProfessionalId.IsValid(coffreId))
        {
            throw new AccessDeniedException("only an admin member acting for this establishment, or a directory admin operator, registers its staff");
        }
        await WriteAsync(current => WithMember(current!, coffreId, member: true, admin: false));
    }

    /// <summary>
    /// Every write of the record, one at a time: <see cref="IEstablishmentGrain.RecordMemberAsync"/> interleaves with the
    /// other methods, so a change is computed from the state when its turn comes.
    /// </summary>
    private async Task WriteAsync(Func<EstablishmentProfile?, EstablishmentProfile> change)
    {
        await writes.WaitAsync();
        try
        {
            state.State.Profile = change(state.State.Profile);
            await state.WriteStateAsync();
        }
        finally
        {
            writes.Release();
        }
    }

    private EstablishmentProfile WithMember(EstablishmentProfile profile, string rpps, bool member, bool admin)
    {
        var members = profile.Members.Where(m => m != rpps).ToList();
        var admins = profile.Admins.Where(m => m != rpps).ToList();
        if (member)
        {
            members.Add(rpps);
            if (admin)
            {
                admins.Add(rpps);
            }
        }
        return profile with { Members = members, Admins = admins, UpdatedAt = clock.GetUtcNow() };
    }

    private static void RequireOperator(Caller caller, string what)
    {
        if (AccessEvaluator.DecideOperator(caller, OperatorAction.Directory) is { Allowed: false } denied)
        {
            throw new AccessDeniedException(caller.IsOperator ? denied.Explanation : $"only a directory admin operator may {what}", denied.Reason);
        }
    }
}

[GenerateSerializer, Alias("coffre.establishment-state")]
public sealed class EstablishmentState
{
    [Id(0)]
    public EstablishmentProfile? Profile { get; set; }
}
