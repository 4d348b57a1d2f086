using Coffre.Application.Events;
using Coffre.Domain.Access;
using Coffre.Grains.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The vault's events: raised after a change is stored (document added, access recorded), the subscribe decision and
/// the catch-up read of the event log for live subscribers.
/// </summary>
public sealed partial class VaultGrain : IVaultEventsGrain
{
    private const int MaxEventsPage = 100;

    async Task IVaultEventsGrain.AuthorizeEventsAsync(Caller caller) =>
        await CheckAsync(caller, VaultAction.ReadHistory, null, "events.subscribe", "vault");

    async Task<VaultEventPage> IVaultEventsGrain.ReadEventsAsync(Caller caller, long after, int first)
    {
        if (first is < 1 or > MaxEventsPage)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxEventsPage}");
        }
        if (after < 0)
        {
            throw new ValidationFailedException("after", "is not a cursor of this vault's events");
        }
        await CheckAsync(caller, VaultAction.ReadHistory, null, "events.read", "vault");
        var log = ServiceProvider.GetRequiredService<IVaultEventLog>();
        var page = await log.ReadAsync(VaultId, after, first + 1);
        var items = page.Take(first)
            .Select(e => new VaultEventEntry(e.Position, new VaultEvent(e.Event.Id, e.Event.VaultId, (VaultEventKind)e.Event.Kind, e.Event.SubjectId, e.Event.At)))
            .ToList();
        return new VaultEventPage(items, page.Count > first);
    }

    /// <summary>
    /// An allowed access by a professional, an establishment or an operator is news for the person's subscribers
    /// (subject: its sequence in the history). Accesses by patient callers — the person and their representatives, who
    /// are the subscribers — are not: an app that reads again on each event would otherwise get an event for its own
    /// read, and loop (audit and event rows without end). Nor are the subscribers' reads of the event log.
    /// </summary>
    private void RaiseAccessRecorded(Caller caller, string operation, long? sequence)
    {
        if (sequence is null || caller.Kind == CallerKind.Patient || operation.StartsWith("events.", StringComparison.Ordinal))
        {
            return;
        }
        RaiseEvent(VaultEventKind.AccessRecorded, sequence.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Raises an event of this vault once its change is stored: queued on the silo's publisher, never failing the change.</summary>
    private void RaiseEvent(VaultEventKind kind, string subjectId)
    {
        IVaultEventPublisher publisher;
        try
        {
            publisher = ServiceProvider.GetRequiredService<IVaultEventPublisher>();
        }
        catch (InvalidOperationException e)
        {
            VaultEventMetrics.Failed("raise", 1);
            VaultEventsLog.EventNotRaised(logger, kind.ToString(), e.GetType().Name);
            return;
        }
        publisher.Raise(new VaultEvent(Guid.NewGuid(), VaultId, kind, subjectId, Now), logger);
    }
}
