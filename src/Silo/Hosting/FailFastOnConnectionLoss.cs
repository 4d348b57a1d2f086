namespace Coffre.Silo.Hosting;

/// <summary>
/// The gateway's view of its connections to the silos: completes <see cref="NextLoss"/> a short grace after any of
/// them drops (a silo killed or unreachable), then arms a new one.
/// </summary>
/// <remarks>
/// Why: an Orleans client keeps waiting for the answer to a call already sent when the silo that would relay or
/// produce it dies — the call stays pending until its response timeout, whatever happens to the connection. A call
/// still unanswered <see cref="Grace"/> after a connection dropped is almost surely one of those.
/// </remarks>
public sealed class ConnectionLossWatch(TimeSpan grace) : IClusterConnectionStatusObserver
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Grace { get; } = grace;

    /// <summary>Completes <see cref="Grace"/> after the next connection loss from now.</summary>
    public Task NextLoss => Volatile.Read(ref _next).Task;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Lost();
        }
    }

    public void NotifyClusterConnectionLost() => Lost();

    private void Lost()
    {
        var lost = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _ = Task.Delay(Grace).ContinueWith(_ => lost.TrySetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

/// <summary>
/// Fails a gateway's grain call with <see cref="SiloUnavailableException"/> (answered 503 <c>UNAVAILABLE</c> with
/// <c>Retry-After</c>) when a connection to a silo dropped while it was in flight and it is still unanswered after the
/// grace: the client retries in about a second instead of waiting for the response timeout.
/// </summary>
public sealed class FailFastOnConnectionLoss(ConnectionLossWatch watch) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var loss = watch.NextLoss;
        var call = context.Invoke();
        if (!call.IsCompleted && await Task.WhenAny(call, loss) != call)
        {
            // The abandoned call still ends (answer or timeout) later: observe its failure so it is not reported as unobserved.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new SiloUnavailableException($"a connection to the cluster dropped while {context.InterfaceName}.{context.MethodName} was in flight; no answer within {watch.Grace.TotalSeconds:0.#} s");
        }
        await call;
    }
}
