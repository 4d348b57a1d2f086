using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Establishments;

/// <summary>
/// An establishment's index of the people it accompanies (state <c>accompaniment-v1</c>): vault id → the vault's
/// revision and the mandates naming the establishment. Written only by vault grains (<see cref="IAccompanimentGrain.SetVaultAsync"/>:
/// a whole vault's entry at a time, newer revisions only, so retries and duplicates change nothing); read by members
/// acting for the establishment, its system and directory-admin operators, filtered by time, in vault-id order.
/// The sorted key list is kept in memory and rebuilt on the first listing after a change.
/// </summary>
[GrainType("accompaniment")]
public sealed partial class AccompanimentGrain(
    [PersistentState(GrainNames.States.Accompaniment, GrainNames.Storage)] IPersistentState<AccompanimentState> state,
    TimeProvider clock,
    ILogger<AccompanimentGrain> logger) : Grain, IAccompanimentGrain
{
    private string[]? _sorted;

    private string FinessNumber => this.GetPrimaryKeyString()["finess-".Length..];

    async Task IAccompanimentGrain.SetVaultAsync(Caller caller, string vaultId, long revision, IReadOnlyList<AccompanimentMandate> mandates)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        var vaults = state.State.Vaults;
        var removed = state.State.Removed;
        var latest = vaults.TryGetValue(vaultId, out var known) ? known.Revision : removed.GetValueOrDefault(vaultId);
        if (revision <= latest)
        {
            return;
        }
        if (mandates.Count == 0)
        {
            // Remember the revision that removed the vault, so a late older update cannot bring it back.
            vaults.Remove(vaultId);
            removed[vaultId] = revision;
        }
        else
        {
            removed.Remove(vaultId);
            vaults[vaultId] = new AccompaniedVault(revision, [.. mandates]);
        }
        _sorted = null;
        await state.WriteStateAsync();
        Log.Updated(logger, mandates.Count, vaults.Count);
    }

    Task<AccompaniedPage> IAccompanimentGrain.ListAsync(Caller caller, int first, string? after)
    {
        AccessEvaluator.DecideAccompaniments(caller, FinessNumber).OrThrow();
        if (first is < 1 or > AccompanimentLimits.MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {AccompanimentLimits.MaxPageSize}");
        }
        if (after is not null && !Ids.IsVaultId(after))
        {
            throw new ValidationFailedException("after", "is not a cursor of this list");
        }

        var now = clock.GetUtcNow();
        var vaults = state.State.Vaults;
        var sorted = _sorted ??= [.. vaults.Keys.Order(StringComparer.Ordinal)];
        var start = after is null ? 0 : LowerBoundAfter(sorted, after);
        var items = new List<AccompaniedPerson>(first);
        var total = 0;
        var more = false;
        // The total counts every person accompanied now; the page takes the first ones after the cursor.
        for (var i = 0; i < sorted.Length; i++)
        {
            var entry = vaults[sorted[i]];
            if (!entry.Mandates.Any(m => m.IsActive(now)))
            {
                continue;
            }
            total++;
            if (i < start)
            {
                continue;
            }
            if (items.Count == first)
            {
                more = true;
                continue;
            }
            items.Add(new AccompaniedPerson(sorted[i], entry.Mandates.Where(m => m.IsActive(now)).ToList()));
        }
        return Task.FromResult(new AccompaniedPage(items, more, total));
    }

    /// <summary>Index of the first key strictly after <paramref name="after"/>.</summary>
    private static int LowerBoundAfter(string[] sorted, string after)
    {
        var i = Array.BinarySearch(sorted, after, StringComparer.Ordinal);
        return i >= 0 ? i + 1 : ~i;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2300, Level = LogLevel.Debug, Message = "accompaniment index updated: {Mandates} mandates for one vault, {Vaults} vaults indexed")]
        public static partial void Updated(ILogger logger, int mandates, int vaults);
    }
}

/// <summary>An establishment's accompaniment index (state name <c>accompaniment-v1</c>).</summary>
[GenerateSerializer, Alias("coffre.accompaniment-state")]
public sealed class AccompanimentState
{
    /// <summary>Vault id → its latest revision and mandates naming the establishment.</summary>
    [Id(0)] public Dictionary<string, AccompaniedVault> Vaults { get; set; } = [];

    /// <summary>Vault id → the revision at which its last mandate here ended (keeps a late, older update from re-adding it).</summary>
    [Id(1)] public Dictionary<string, long> Removed { get; set; } = [];
}

[GenerateSerializer, Immutable, Alias("coffre.accompanied-vault")]
public sealed record AccompaniedVault(
    [property: Id(0)] long Revision,
    [property: Id(1)] IReadOnlyList<AccompanimentMandate> Mandates);
