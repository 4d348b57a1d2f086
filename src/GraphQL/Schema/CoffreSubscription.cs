using Coffre.Domain;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Subscriptions over graphql-transport-ws.</summary>
public sealed class CoffreSubscription : ObjectGraphType
{
    /// <summary>How often a live notification feed looks for new notifications.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public CoffreSubscription()
    {
        Name = "Subscription";

        Field<NonNullGraphType<NotificationType>>("notificationAdded")
            .Description("The person's live notification feed (first access by a professional, break-glass, new document). Owner and representatives.")
            .Argument<NonNullGraphType<IdGraphType>>("vaultId")
            .ResolveStreamAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var vaultId = GlobalId.VaultId(ctx.GetArgument<string>("vaultId"))
                    ?? throw Errors.ErrorTranslation.WithField(new ExecutionError("vaultId is not a vault id") { Code = ErrorCodes.Validation }, "vaultId");
                var vault = ctx.Vault(vaultId);
                var existing = await vault.GetNotificationsAsync(caller, 1);
                var since = existing.Count > 0 ? existing[0].CreatedAt : DateTimeOffset.MinValue;
                return new PollingObservable<VaultNotification>(async () =>
                {
                    var fresh = await vault.PollNotificationsAsync(caller, since);
                    if (fresh.Count > 0)
                    {
                        since = fresh[^1].CreatedAt;
                    }
                    return fresh;
                }, PollInterval);
            });
    }
}

/// <summary>An observable that polls a source at an interval and pushes what it returns; stops on dispose or on the first error.</summary>
public sealed class PollingObservable<T>(Func<Task<IReadOnlyList<T>>> poll, TimeSpan interval) : IObservable<T>
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    foreach (var item in await poll())
                    {
                        observer.OnNext(item);
                    }
                    await Task.Delay(interval, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                observer.OnError(e);
            }
        });
        return new Stopper(stop);
    }

    private sealed class Stopper(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            if (!stop.IsCancellationRequested)
            {
                stop.Cancel();
            }
        }
    }
}
