using Coffre.Application.Outbox;

namespace Coffre.Silo.Hosting;

/// <summary>
/// Counts every grain call this silo serves as interactive load (<see cref="InteractiveLoad"/>): behind gateways a silo
/// sees the API's requests as grain calls, not as HTTP requests, and its email router must still yield to them.
/// </summary>
internal sealed class InteractiveLoadCallFilter(InteractiveLoad load) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        load.Record(InteractiveSource.GrainCall);
        return context.Invoke();
    }
}
